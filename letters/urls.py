from django.urls import path

from letters import views

urlpatterns = [
    path("verify/", views.verify_start, name="letters-verify-start"),
    path("verify/<str:code>", views.verify, name="letters-verify"),
    path("letters/reissue/", views.reissue, name="letters-reissue"),
    path("letters/batches/<int:pk>/", views.batch_progress, name="letters-batch"),
]
