from django.urls import path

from indicators import views

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/export.xlsx", views.dashboard_export, name="dashboard-export"),
    path("public/indicators/", views.public_summary, name="public-indicators"),
]
