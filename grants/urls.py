from django.contrib.auth import views as auth_views
from django.urls import path

from grants import orgviews, portal, views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("applications/", views.application_list, name="application-list"),
    path("applications/<int:pk>/", views.application_detail, name="application-detail"),
    # applicant portal
    path("signup/", portal.signup, name="signup"),
    path("portal/", portal.portal, name="portal"),
    path("portal/organizations/new/", portal.organization_new, name="portal-organization-new"),
    path("portal/organizations/join/", orgviews.join, name="portal-organization-join"),
    path(
        "portal/organizations/<int:pk>/",
        orgviews.organization_page,
        name="portal-organization",
    ),
    path(
        "portal/organizations/<int:pk>/letters/<int:letter_id>/",
        orgviews.letter_file,
        name="organization-letter",
    ),
    path(
        "portal/organizations/<int:pk>/<slug:action>/",
        orgviews.organization_action,
        name="portal-organization-action",
    ),
    path("portal/invitations/<str:token>/", orgviews.invitation, name="portal-invitation"),
    path("review/organizations/", orgviews.review_list, name="review-organizations"),
    path("review/organizations/<int:pk>/", orgviews.review_page, name="review-organization"),
    path(
        "review/organizations/<int:pk>/<slug:action>/",
        orgviews.review_action,
        name="review-organization-action",
    ),
    path("review/region-exceptions/", orgviews.region_exceptions, name="region-exceptions"),
    path("portal/programs/<slug:code>/apply/", portal.claim_new, name="portal-claim-new"),
    path("portal/applications/<int:pk>/", portal.application_page, name="portal-application"),
    path(
        "portal/applications/<int:pk>/attachments/",
        portal.attachment_upload,
        name="portal-attachment-upload",
    ),
    path(
        "portal/applications/<int:pk>/attachments/<int:attachment_id>/delete/",
        portal.attachment_delete,
        name="portal-attachment-delete",
    ),
    path(
        "portal/applications/<int:pk>/withdraw/",
        portal.application_withdraw,
        name="portal-application-withdraw",
    ),
    path(
        "portal/applications/<int:pk>/submit/",
        portal.application_submit,
        name="portal-application-submit",
    ),
]
