/* Applicant portal: USCC check as typed, cost-line rows, upload progress. No library, no CDN.
   Every message comes from data-* attributes rendered by the (translated) templates. */
(function () {
  "use strict";

  // GB 32100-2015: 18 characters from this 31-character set; the last is a check character.
  var CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY";
  var WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
  function usccCheckChar(body) {
    var sum = 0;
    for (var i = 0; i < 17; i++) sum += CHARS.indexOf(body.charAt(i)) * WEIGHTS[i];
    return CHARS.charAt((31 - (sum % 31)) % 31);
  }
  window.fundflowUsccCheckChar = usccCheckChar;

  document.querySelectorAll("input[data-uscc]").forEach(function (input) {
    var live = document.getElementById("uscc-live");
    function check() {
      var v = input.value.trim().toUpperCase();
      if (input.value !== v && document.activeElement !== input) input.value = v;
      if (!v) { live.textContent = ""; input.removeAttribute("data-state"); return; }
      for (var i = 0; i < v.length; i++) {
        if (CHARS.indexOf(v.charAt(i)) < 0) {
          live.textContent = input.dataset.msgChars; input.dataset.state = "bad"; return;
        }
      }
      if (v.length !== 18) {
        live.textContent = input.dataset.msgLength + v.length; input.dataset.state = "partial"; return;
      }
      var ok = usccCheckChar(v) === v.charAt(17);
      live.textContent = ok ? input.dataset.msgOk : input.dataset.msgBad;
      input.dataset.state = ok ? "ok" : "bad";
    }
    input.addEventListener("input", check);
    input.addEventListener("blur", function () { input.value = input.value.trim().toUpperCase(); check(); });
    check();
  });

  // Cost lines (and other row lists, e.g. a budget plan by year): add and remove rows; ids
  // stay unique so every <label for> keeps its field.
  document.querySelectorAll("[data-cost-rows], [data-rows]").forEach(function (list) {
    var counter = list.children.length + 100;
    var addButton = list.parentElement.querySelector("[data-add-row]");
    function bindRemove(row) {
      var b = row.querySelector("[data-remove-row]");
      if (b) b.addEventListener("click", function () {
        if (list.children.length > 1) { row.remove(); }
        else { row.querySelectorAll("input").forEach(function (i) { i.value = ""; }); }
        var first = list.querySelector("input, select"); if (first) first.focus();
      });
    }
    Array.prototype.forEach.call(list.children, bindRemove);
    if (addButton) addButton.addEventListener("click", function () {
      var template = list.children[list.children.length - 1];
      var row = template.cloneNode(true);
      counter += 1;
      row.querySelectorAll(".field-error").forEach(function (e) { e.remove(); });
      row.querySelectorAll("input, select").forEach(function (el) {
        var newId = el.id.replace(/-\d+$/, "-" + counter);
        var label = row.querySelector('label[for="' + el.id + '"]');
        if (label) label.setAttribute("for", newId);
        el.id = newId;
        el.removeAttribute("aria-invalid"); el.removeAttribute("aria-describedby");
        if (el.tagName === "INPUT") el.value = "";
      });
      list.appendChild(row);
      bindRemove(row);
      row.querySelector("select, input").focus();
    });
  });

  // Upload with a progress bar (XHR); without JavaScript the form posts normally.
  document.querySelectorAll("form[data-upload]").forEach(function (form) {
    var bar = form.querySelector("progress");
    var status = form.querySelector("[aria-live]");
    form.addEventListener("submit", function (event) {
      if (!window.XMLHttpRequest || !window.FormData) return;
      event.preventDefault();
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.setRequestHeader("X-CSRFToken", form.querySelector("[name=csrfmiddlewaretoken]").value);
      bar.hidden = false; bar.value = 0;
      xhr.upload.addEventListener("progress", function (e) {
        if (e.lengthComputable) bar.value = Math.round((e.loaded / e.total) * 100);
      });
      xhr.addEventListener("load", function () {
        var body = {};
        try { body = JSON.parse(xhr.responseText); } catch (err) { body = {}; }
        status.textContent = body.message || form.dataset.msgFailed;
        if (xhr.status >= 200 && xhr.status < 300) { bar.value = 100; window.location.reload(); }
        else { status.className = "small bad"; }
      });
      xhr.addEventListener("error", function () { status.textContent = form.dataset.msgFailed; status.className = "small bad"; });
      xhr.send(new FormData(form));
    });
  });
})();
