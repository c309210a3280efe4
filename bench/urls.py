"""The product's URLs plus the bench's own endpoints (``bench.views``), matched first."""

from django.urls import path

from bench import views
from config.urls import handler404, handler500  # noqa: F401  (the product's error pages)
from config.urls import urlpatterns as product_urls

urlpatterns = [
    path("bench/noop", views.noop),
    path("bench/updates/<int:row>/<int:n>", views.load_updates),
    path("api/v1/bench/floor/<int:process_id>/decisions", views.floor_decision),
    path("api/v1/bench/peer/<int:process_id>/decisions", views.peer_decision),
    *product_urls,
]
