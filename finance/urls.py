from django.urls import path

from finance import views

urlpatterns = [
    path("finance/", views.overview, name="finance-overview"),
    path("finance/allocate/", views.allocate, name="finance-allocate"),
    path("finance/ledger/", views.ledger, name="finance-ledger"),
    path("finance/disbursements/", views.batches, name="finance-batches"),
    path("finance/disbursements/new/", views.batch_create, name="finance-batch-create"),
    path("finance/disbursements/<int:batch_id>/", views.batch_detail, name="finance-batch"),
    path(
        "finance/disbursements/<int:batch_id>/file.<str:fmt>",
        views.batch_file,
        name="finance-batch-file",
    ),
    path(
        "finance/disbursements/<int:batch_id>/<str:action>/",
        views.batch_action,
        name="finance-batch-action",
    ),
    path("finance/awards/", views.award_list, name="finance-awards"),
    path("finance/awards/<int:application_id>/", views.award_detail, name="finance-award"),
    path("finance/reconciliation/", views.reconciliation, name="finance-reconciliation"),
    path("finance/export.xlsx", views.export, name="finance-export"),
]
