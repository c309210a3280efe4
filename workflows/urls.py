from django.urls import path

from workflows import views

urlpatterns = [
    path("review/", views.inbox, name="review-inbox"),
    path("review/bulk-approve/", views.bulk_approve, name="review-bulk-approve"),
    path("review/tasks/<int:task_id>/", views.task_detail, name="review-task"),
    path(
        "review/applications/<int:application_id>/attachments/<int:attachment_id>/view/",
        views.attachment_inline,
        name="review-attachment-inline",
    ),
    path("notifications/", views.notification_list, name="notification-list"),
    path("notifications/read/", views.notification_read_all, name="notification-read-all"),
]
