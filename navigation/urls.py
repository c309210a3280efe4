from django.urls import path

from navigation import views

urlpatterns = [
    path("navigation/notices/", views.notice_list, name="navigation-notices"),
    path("navigation/notices/<int:pk>/", views.notice_detail, name="navigation-notice"),
    path("navigation/<slug:code>/ranking/", views.ranking, name="navigation-ranking"),
]
