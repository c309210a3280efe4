from django.urls import path

from indicators import views

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/export.xlsx", views.dashboard_export, name="dashboard-export"),
    path("dashboard/indicators/<int:number>/", views.indicator_records, name="indicator-records"),
    path(
        "dashboard/indicators/<int:number>/export.xlsx",
        views.indicator_records_export,
        name="indicator-records-export",
    ),
    path("public/indicators/", views.public_summary, name="public-indicators"),
]
