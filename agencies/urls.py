from django.urls import path

from agencies import views

urlpatterns = [
    path("agencies/", views.agency_list, name="agency-list"),
    path("agencies/<int:pk>/", views.agency_detail, name="agency-detail"),
    path("agencies/<int:pk>/penalty/", views.agency_penalty, name="agency-penalty"),
    path("vouchers/", views.voucher_list, name="voucher-list"),
    path("vouchers/bulk/", views.voucher_bulk, name="voucher-bulk"),
    path("vouchers/<int:pk>/", views.voucher_detail, name="voucher-detail"),
    path("vouchers/verify/<str:code>/", views.voucher_verify, name="voucher-verify"),
]
