"""The product's URLs plus a no-op view: the floor of a request through the same middleware."""

from django.http import HttpResponse
from django.urls import path

from config.urls import urlpatterns as product_urls


def noop(request):
    return HttpResponse("ok")


urlpatterns = [path("bench/noop", noop), *product_urls]
