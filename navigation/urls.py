from django.urls import path

from navigation import views

urlpatterns = [
    # public
    path("navigation/notices/", views.notice_list, name="navigation-notices"),
    path("navigation/notices/<int:pk>/", views.notice_detail, name="navigation-notice"),
    # the city and the region on the notice
    path(
        "navigation/notices/<int:pk>/sign-off/",
        views.notice_sign_off,
        name="navigation-notice-sign-off",
    ),
    path(
        "navigation/objections/<int:pk>/resolve/",
        views.objection_resolve,
        name="navigation-objection-resolve",
    ),
    path("navigation/<slug:code>/ranking/", views.ranking, name="navigation-ranking"),
    # the joint application (the portal's "Apply" leads here for a navigation programme)
    path("navigation/<slug:code>/apply/", views.project_apply, name="navigation-apply"),
    # partner agencies
    path("navigation/partners/", views.partner_list, name="navigation-partners"),
    path(
        "navigation/projects/<int:pk>/partners/<int:organization_id>/confirm/",
        views.partner_confirm,
        name="navigation-partner-confirm",
    ),
    # experts
    path("navigation/reviews/", views.review_list, name="navigation-reviews"),
    path("navigation/reviews/<int:pk>/", views.review_detail, name="navigation-review"),
    path(
        "navigation/reviews/<int:pk>/declaration/",
        views.review_declare,
        name="navigation-review-declare",
    ),
    # milestones: the applicant reports, reviewers decide
    path("navigation/milestones/", views.milestone_list, name="navigation-milestones"),
    path("navigation/milestones/<int:pk>/", views.milestone_detail, name="navigation-milestone"),
    path(
        "navigation/milestones/<int:pk>/report/",
        views.milestone_report,
        name="navigation-milestone-report",
    ),
    path(
        "navigation/milestones/<int:pk>/decision/",
        views.milestone_decision,
        name="navigation-milestone-decision",
    ),
]
