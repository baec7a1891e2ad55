// Work queue pages: the Next shortcut and "select all" for bulk reassignment;
// on the case and person pages, the panels fetched after the first paint
// (hx-trigger="load") that did not come. A static file, as the
// Content-Security-Policy allows no inline script.
(function () {
  "use strict";

  function typing(target) {
    if (!target || !target.tagName) {
      return false;
    }
    var tag = target.tagName.toLowerCase();
    return tag === "input" || tag === "textarea" || tag === "select" || target.isContentEditable;
  }

  // "n" presses Next, unless the tracer is typing somewhere.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "n" && event.key !== "N") {
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) {
      return;
    }
    var form = document.getElementById("queue-next");
    if (form) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  // A panel did not come (server error, connection lost): say so, offer to try again.
  function failed(event) {
    var panel = event.target.closest && event.target.closest("[data-lazy-panel]");
    if (!panel) {
      return;
    }
    var status = panel.querySelector("[data-lazy-status]");
    status.textContent = status.dataset.msgFailed;
    panel.querySelector("[data-lazy-retry]").hidden = false;
  }
  document.addEventListener("htmx:responseError", failed);
  document.addEventListener("htmx:sendError", failed);
  document.addEventListener("click", function (event) {
    var retry = event.target.closest && event.target.closest("[data-lazy-retry]");
    if (retry && window.htmx) {
      retry.hidden = true;
      window.htmx.trigger(retry.closest("[data-lazy-panel]"), "retry");
    }
  });

  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!box.classList || !box.classList.contains("queue-select-all")) {
      return;
    }
    var table = box.closest("table");
    table.querySelectorAll('input[name="items"]').forEach(function (item) {
      item.checked = box.checked;
    });
  });
})();
