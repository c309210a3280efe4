from django.contrib import admin
from django.urls import include, path, re_path
from django.views.i18n import JavaScriptCatalog

from config.api import api
from grants import views

admin.site.site_header = "fundflow 专项资金管理"
admin.site.site_title = "fundflow"

urlpatterns = [
    path("api/v1/", api.urls),
    re_path(r"^api/", views.api_not_found),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("", include("workflows.urls")),
    path("", include("finance.urls")),
    path("", include("agencies.urls")),
    path("", include("navigation.urls")),
    path("", include("indicators.urls")),
    path("", include("letters.urls")),
    path("", include("accounts.urls")),
    path("", include("grants.urls")),
]

handler404 = views.not_found
handler500 = views.server_error
