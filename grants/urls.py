from django.contrib.auth import views as auth_views
from django.urls import path

from grants import portal, views

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
