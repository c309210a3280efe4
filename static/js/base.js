// Every page: behaviour that used to sit in inline handlers (the Content-Security-Policy
// allows no inline script). A <select data-autosubmit> submits its form when changed.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () {
      select.form.submit();
    });
  });
});
