from django.urls import path

from agencies import views

urlpatterns = [
    path("agencies/", views.agency_list, name="agency-list"),
    path("agencies/admit/", views.agency_admit, name="agency-admit"),
    path("agencies/<int:pk>/", views.agency_detail, name="agency-detail"),
    path("agencies/<int:pk>/penalty/", views.agency_penalty, name="agency-penalty"),
    path(
        "agencies/<int:pk>/qualifications/",
        views.agency_qualification,
        name="agency-qualification",
    ),
    path("vouchers/", views.voucher_list, name="voucher-list"),
    path("vouchers/bulk/", views.voucher_bulk, name="voucher-bulk"),
    # the agency's desk: redeem with the code the SME shows, then file the claim
    path("vouchers/redeem/", views.voucher_redeem, name="voucher-redeem"),
    path("vouchers/<int:pk>/", views.voucher_detail, name="voucher-detail"),
    path("vouchers/<int:pk>/claim/", views.voucher_claim, name="voucher-claim"),
    path("vouchers/verify/<str:code>/", views.voucher_verify, name="voucher-verify"),
]
