// The case interview: autosave as the tracer types, kept in the browser while
// the connection is down, sent when it returns. A static file: the
// Content-Security-Policy allows no inline script.
//
// Each change is stamped with the time it was typed (milliseconds) and kept in
// localStorage under the user's and the case's ids (never a name: ids only)
// until the server has it. The server keeps, per field, the newest stamp, so
// a late or repeated save never overwrites a newer one (drafts.py).
//
// The case page fetches the interview right after its first paint (htmx,
// hx-trigger="load"): the script starts when the section is in the page,
// whether it came with the page or arrived later.
(function () {
  "use strict";

  var DEBOUNCE_MS = 700;
  var RETRY_MS = [2000, 4000, 8000, 15000, 30000];

  function boot(root) {
    var section = root.matches && root.matches("[data-interview]") ? root
      : root.querySelector && root.querySelector("[data-interview]");
    if (!section || section.dataset.started) {
      return;
    }
    section.dataset.started = "true";
    start(section);
  }

  // A link to a part of the panels (#contacts, #call-attempts) could not be
  // followed before they arrived: follow it now.
  function reveal(root) {
    var target = window.location.hash ? document.getElementById(window.location.hash.slice(1)) : null;
    if (target && root.contains && root.contains(target)) {
      target.scrollIntoView();
    }
  }

  document.addEventListener("htmx:load", function (event) {
    boot(event.target);
    reveal(event.target);
  });
  boot(document);

  // A panel that did not come is offered again by queue.js (every work page's script).

  function start(section) {
    var storeKey = "epitrace-interview:" + section.dataset.user + ":" + section.dataset.case;
    var url = section.dataset.autosaveUrl;
    var csrf = section.dataset.csrf;
    var timer = null;
    var inflight = null;
    var again = false;
    var failures = 0;
    var lastStamp = 0;

    // --- The pending changes, in localStorage -------------------------------------------

    function load() {
      try {
        return JSON.parse(window.localStorage.getItem(storeKey) || "{}") || {};
      } catch (error) {
        return {};
      }
    }

    function store(pending) {
      try {
        if (Object.keys(pending).length) {
          window.localStorage.setItem(storeKey, JSON.stringify(pending));
        } else {
          window.localStorage.removeItem(storeKey);
        }
      } catch (error) {
        // Storage full or disabled: the change still goes out with the next save.
      }
    }

    function stamp() {
      // Strictly increasing within this browser, even if the clock steps back.
      lastStamp = Math.max(Date.now(), lastStamp + 1);
      return lastStamp;
    }

    // --- Reading and writing fields -------------------------------------------------------

    function fieldsOf(key) {
      return section.querySelectorAll('[data-autosave="' + key + '"]');
    }

    function readField(key) {
      var inputs = fieldsOf(key);
      var kind = inputs.length ? inputs[0].dataset.autosaveKind : "text";
      if (kind === "list") {
        return Array.prototype.filter.call(inputs, function (i) { return i.checked; })
          .map(function (i) { return i.value; });
      }
      if (kind === "bool") {
        return inputs[0].checked;
      }
      if (kind === "radio") {
        var checked = Array.prototype.find.call(inputs, function (i) { return i.checked; });
        return checked ? checked.value : "";
      }
      return inputs.length ? inputs[0].value : "";
    }

    function writeField(key, value) {
      var inputs = fieldsOf(key);
      Array.prototype.forEach.call(inputs, function (input) {
        if (input === document.activeElement) {
          return; // never pull text from under the tracer's cursor
        }
        var kind = input.dataset.autosaveKind;
        if (kind === "list") {
          input.checked = Array.isArray(value) && value.indexOf(input.value) !== -1;
        } else if (kind === "bool") {
          input.checked = Boolean(value);
        } else if (kind === "radio") {
          input.checked = input.value === value;
        } else {
          input.value = value == null ? "" : value;
        }
      });
    }

    function readRows(name) {
      var body = section.querySelector('[data-autosave-rows="' + name + '"]');
      return Array.prototype.map.call(body.querySelectorAll("tr[data-row]"), function (row) {
        var value = { key: row.dataset.row };
        row.querySelectorAll("[data-col]").forEach(function (input) {
          value[input.dataset.col] = input.value;
        });
        return value;
      });
    }

    function writeRows(name, rows) {
      rows.forEach(function (value) {
        var row = rowOf(name, value.key) || addRow(name, value.key);
        row.querySelectorAll("[data-col]").forEach(function (input) {
          if (input !== document.activeElement && value[input.dataset.col] !== undefined) {
            input.value = value[input.dataset.col];
          }
        });
      });
      var keys = rows.map(function (value) { return value.key; });
      section.querySelectorAll('[data-autosave-rows="' + name + '"] tr[data-row]').forEach(function (row) {
        if (keys.indexOf(row.dataset.row) === -1) {
          row.remove();
        }
      });
      if (name === "household") {
        syncGuardians();
      }
    }

    function rowOf(name, key) {
      var body = section.querySelector('[data-autosave-rows="' + name + '"]');
      return Array.prototype.find.call(body.querySelectorAll("tr[data-row]"), function (row) {
        return row.dataset.row === key;
      });
    }

    // --- Rows: household members and settings -------------------------------------------

    function newKey() {
      return "r" + Date.now().toString(36) + Math.random().toString(36).slice(2, 6);
    }

    function addRow(name, key) {
      var template = section.querySelector('[data-row-template="' + name + '"]');
      var holder = document.createElement("tbody");
      holder.innerHTML = template.innerHTML.split("__key__").join(key);
      var row = holder.querySelector("tr");
      section.querySelector('[data-autosave-rows="' + name + '"]').appendChild(row);
      if (window.htmx) {
        window.htmx.process(row); // its "Add as contact" button posts through htmx
      }
      return row;
    }

    function syncGuardians() {
      // A minor's guardian may be any other member: keep every row's list in step with the names.
      var rows = readRows("household");
      section.querySelectorAll('[data-autosave-rows="household"] select[data-col="guardian"]').forEach(function (select) {
        var own = select.closest("tr").dataset.row;
        var chosen = select.value;
        Array.prototype.slice.call(select.options).forEach(function (option) {
          if (option.value && option.value !== "case") {
            option.remove();
          }
        });
        rows.forEach(function (row) {
          if (row.key !== own) {
            var label = [row.given_name, row.family_name].filter(Boolean).join(" ") || "…";
            select.add(new Option(label, row.key));
          }
        });
        select.value = chosen;
      });
    }

    // --- Saving -----------------------------------------------------------------------------

    var statusBox = section.querySelector("[data-save-status]");
    var STATES = { pending: "saving", saving: "saving" };

    function text(name) {
      // The page's own (translated) wording, from the status element's data-msg-* attributes.
      var key = "msg" + name.charAt(0).toUpperCase() + name.slice(1);
      return statusBox ? statusBox.dataset[key] || "" : "";
    }

    function setStatus(state, detail) {
      if (!statusBox) {
        return;
      }
      statusBox.dataset.state = state;
      statusBox.textContent = text(STATES[state] || state) + (detail || "");
    }

    function remember(key, value) {
      var pending = load();
      pending[key] = { value: value, stamp: stamp() };
      store(pending);
      setStatus("pending");
      window.clearTimeout(timer);
      timer = window.setTimeout(flush, DEBOUNCE_MS);
    }

    function flush() {
      window.clearTimeout(timer);
      if (inflight) {
        again = true;
        return inflight;
      }
      var pending = load();
      var keys = Object.keys(pending);
      if (!keys.length) {
        setStatus("saved");
        return Promise.resolve(true);
      }
      if (!navigator.onLine) {
        setStatus("offline");
        return Promise.resolve(false);
      }
      setStatus("saving");
      inflight = window.fetch(url, {
        method: "POST",
        credentials: "same-origin",
        redirect: "manual", // a sign-in redirect must not look like a save
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, Accept: "application/json" },
        body: JSON.stringify({ changes: pending }),
      }).then(function (response) {
        if (response.type === "opaqueredirect" || response.status === 401 || response.status === 403) {
          throw { signedOut: true };
        }
        if (response.status === 400) {
          return response.json().then(function (body) { throw { rejected: body.error || "" }; });
        }
        if (!response.ok) {
          throw { status: response.status };
        }
        return response.json();
      }).then(function (body) {
        failures = 0;
        forget(pending, body.saved.concat(Object.keys(body.stale || {})));
        Object.keys(body.stale || {}).forEach(function (key) {
          showNewer(key, body.stale[key]);
        });
        showErrors(body.errors || {});
        showCase(body.case || {});
        setStatus(Object.keys(load()).length ? "pending" : "saved");
        return true;
      }).catch(function (problem) {
        if (problem && problem.rejected !== undefined) {
          forget(pending, keys); // the server will never take these: do not send them forever
          setStatus("rejected", problem.rejected);
          return false;
        }
        setStatus(problem && problem.signedOut ? "signedout" : navigator.onLine ? "retrying" : "offline");
        retryLater();
        return false;
      }).finally(function () {
        inflight = null;
        if (again) {
          again = false;
          timer = window.setTimeout(flush, 0);
        }
      });
      return inflight;
    }

    function settle(rounds) {
      // Everything typed so far, saved: saves queued behind the one in flight included.
      rounds = rounds || 0;
      return flush().then(function (saved) {
        if (!saved) {
          return false;
        }
        if ((inflight || Object.keys(load()).length) && rounds < 5) {
          return settle(rounds + 1);
        }
        return !inflight && !Object.keys(load()).length;
      });
    }

    function forget(sent, keys) {
      // Only what was sent: a newer edit typed meanwhile is still to send.
      var pending = load();
      keys.forEach(function (key) {
        if (pending[key] && sent[key] && pending[key].stamp === sent[key].stamp) {
          delete pending[key];
        }
      });
      store(pending);
    }

    function retryLater() {
      var wait = RETRY_MS[Math.min(failures, RETRY_MS.length - 1)];
      failures += 1;
      window.clearTimeout(timer);
      timer = window.setTimeout(flush, wait);
    }

    function showNewer(key, value) {
      if (key === "household" || key === "settings") {
        writeRows(key, value || []);
      } else {
        writeField(key, value);
      }
    }

    function showErrors(errors) {
      section.querySelectorAll("[data-field-error]").forEach(function (box) {
        var text = errors[box.dataset.fieldError];
        box.textContent = text || "";
        box.hidden = !text;
      });
    }

    function showCase(values) {
      var shown = {
        onset: values.asymptomatic ? text("asymptomatic") : values.onset_date,
        isolation_start: values.isolation_start,
        isolation_end: values.isolation_end,
        infectious_start: values.infectious_start,
        infectious_end: values.infectious_end,
      };
      Object.keys(shown).forEach(function (name) {
        if (shown[name] === undefined) {
          return;
        }
        document.querySelectorAll('[data-case-field="' + name + '"]').forEach(function (node) {
          node.textContent = shown[name] || "—";
        });
      });
    }

    // --- Events -----------------------------------------------------------------------------

    function changed(event) {
      var input = event.target;
      if (!input || !section.contains(input)) {
        return;
      }
      if (input.dataset.autosave) {
        remember(input.dataset.autosave, readField(input.dataset.autosave));
        return;
      }
      var rows = input.closest("[data-autosave-rows]");
      if (rows && input.dataset.col) {
        if (rows.dataset.autosaveRows === "household" && input.dataset.col !== "guardian") {
          syncGuardians();
        }
        remember(rows.dataset.autosaveRows, readRows(rows.dataset.autosaveRows));
      }
    }

    section.addEventListener("input", changed);
    section.addEventListener("change", changed);
    section.addEventListener("submit", function (event) {
      // The sheet saves field by field; Enter in it must not submit it anywhere.
      if (event.target.matches("[data-interview-form]")) {
        event.preventDefault();
      }
    });

    section.addEventListener("click", function (event) {
      var add = event.target.closest("[data-add-row]");
      if (add) {
        var name = add.dataset.addRow;
        var row = addRow(name, newKey());
        if (name === "household") {
          syncGuardians();
        }
        remember(name, readRows(name));
        var first = row.querySelector("input, select");
        if (first) {
          first.focus();
        }
        return;
      }
      var remove = event.target.closest("[data-remove-row]");
      if (remove) {
        var body = remove.closest("[data-autosave-rows]");
        remove.closest("tr").remove();
        if (body.dataset.autosaveRows === "household") {
          syncGuardians();
        }
        remember(body.dataset.autosaveRows, readRows(body.dataset.autosaveRows));
        return;
      }
      var after = event.target.closest("[data-after-save]");
      if (after) {
        // Complete, "Add as contact": what the server reads must be saved first.
        event.preventDefault();
        after.disabled = true;
        settle().then(function (saved) {
          after.disabled = false;
          var target = after.hasAttribute("hx-post") ? after : after.closest("form");
          if (saved && window.htmx) {
            window.htmx.trigger(target, "interview-saved");
          } else if (!saved) {
            setStatus(navigator.onLine ? "retrying" : "offline");
          }
        });
      }
    });

    // The sheet comes back with the fields that are wrong: take the tracer to the list.
    document.body.addEventListener("htmx:afterSwap", function (event) {
      var problems = event.target.querySelector && event.target.querySelector("[data-problems]");
      if (problems) {
        problems.focus();
      }
    });

    // Keys: 1-5 record a call, c starts a new contact, unless the tracer is typing
    // (Escape leaves a field). Plain keys: Alt+digit switches browser tabs.
    function typing(target) {
      var tag = target && target.tagName ? target.tagName.toLowerCase() : "";
      return tag === "input" || tag === "textarea" || tag === "select" || Boolean(target && target.isContentEditable);
    }

    document.addEventListener("keydown", function (event) {
      if (event.ctrlKey || event.metaKey || event.altKey || event.isComposing) {
        return;
      }
      if (typing(event.target)) {
        if (event.key === "Escape" && event.target.closest("#interview, #contacts")) {
          event.target.blur();
        }
        return;
      }
      var target = document.querySelector('[data-shortcut="' + event.key.toLowerCase() + '"]');
      if (!target || target.disabled) {
        return;
      }
      event.preventDefault();
      if (typing(target)) {
        target.focus();
      } else {
        target.click();
      }
    });

    window.addEventListener("online", function () { flush(); });
    window.addEventListener("offline", function () { setStatus("offline"); });
    // Changes left from a dropped connection or a closed tab: show them, send them.
    (function resume() {
      var pending = load();
      Object.keys(pending).forEach(function (key) {
        lastStamp = Math.max(lastStamp, pending[key].stamp || 0);
        showNewer(key, pending[key].value);
      });
      if (Object.keys(pending).length) {
        flush();
      }
    })();
  }
})();
