// Keyboard and focus glue for editing cells in place. Everything works without this file.
(function () {
  "use strict";

  var lastEditedCell = null;

  function cellOf(node) {
    return node && node.closest ? node.closest(".app-cell") : null;
  }

  // A click anywhere on a cell (not on a link or control inside it) opens its editor.
  document.addEventListener("click", function (event) {
    var cell = cellOf(event.target);
    if (!cell || cell.classList.contains("app-cell--editing")) return;
    if (event.target.closest("a, button, input, select, textarea, label, summary")) return;
    if (window.getSelection && String(window.getSelection())) return;
    var edit = cell.querySelector("a.app-cell__edit[hx-get]");
    if (edit) edit.click();
  });

  // Ctrl+Enter (or Cmd+Enter) saves; Escape cancels.
  document.addEventListener("keydown", function (event) {
    var form = event.target.closest && event.target.closest("form.app-cell-form");
    if (!form) return;
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      form.requestSubmit();
    } else if (event.key === "Escape") {
      var cancel = form.querySelector(".app-cell__cancel");
      if (cancel) {
        event.preventDefault();
        cancel.click();
      }
    }
  });

  document.addEventListener("htmx:beforeRequest", function (event) {
    var cell = cellOf(event.detail.elt);
    if (cell) lastEditedCell = cell.id;
  });

  // After a swap, put focus where a keyboard user expects it.
  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail.elt;
    if (!target || !target.id || target.id.indexOf("cell-") !== 0) return;
    var cell = document.getElementById(target.id);
    if (!cell) return;
    var focusable;
    if (cell.classList.contains("app-cell--conflict")) {
      focusable = cell.querySelector(".app-conflict__summary");
    } else if (cell.classList.contains("app-cell--editing")) {
      focusable =
        cell.querySelector("[aria-invalid], .govuk-form-group--error textarea, .govuk-form-group--error select") ||
        cell.querySelector("textarea, select");
    } else if (lastEditedCell === cell.id) {
      focusable = cell.querySelector(".app-cell__edit");
    }
    if (!focusable) return;
    focusable.focus({ preventScroll: true });
    // On a narrow screen the grid scrolls sideways: bring the whole editor into view.
    var editor = cell.classList.contains("app-cell--editing") ? cell : focusable;
    editor.scrollIntoView({ block: "nearest", inline: "nearest" });
  });

  // The live poll never replaces a cell someone is editing: it tells them instead, so they
  // know before they save that they will be shown the other version to merge.
  document.addEventListener("htmx:oobBeforeSwap", function (event) {
    var target = event.detail.target;
    if (!target || !target.classList.contains("app-cell--editing")) return;
    event.detail.shouldSwap = false;
    var incoming = event.detail.fragment && event.detail.fragment.firstElementChild;
    var who = (incoming && incoming.getAttribute("data-updated-by")) || "Someone";
    var notice = target.querySelector(".app-cell__notice");
    if (notice) {
      notice.textContent =
        who + " changed this cell just now. When you save, you will see their version and can merge.";
      notice.hidden = false;
    }
  });

  // Mentions: typing "@" and a few letters in a comment box offers matching people
  // (rendered by the server); choosing one puts "@their-address " in place of what was typed.
  var MENTION_TYPED = /(^|\s)@([^\s@]{1,60})$/;

  function typedMention(box) {
    var found = MENTION_TYPED.exec(box.value.slice(0, box.selectionStart));
    return found ? found[2] : "";
  }

  document.addEventListener("input", function (event) {
    var box = event.target;
    if (!box.matches || !box.matches("textarea[data-mentions]") || !window.htmx) return;
    var typed = typedMention(box);
    var list = document.getElementById(box.id + "-suggestions");
    if (!typed) {
      if (list) list.hidden = true;
      return;
    }
    clearTimeout(box._mentionTimer);
    box._mentionTimer = setTimeout(function () {
      htmx.ajax("GET", box.getAttribute("data-mentions") + "&q=" + encodeURIComponent(typed), {
        target: "#" + box.id + "-suggestions",
        swap: "outerHTML",
      });
    }, 150);
  });

  document.addEventListener("click", function (event) {
    var pick = event.target.closest && event.target.closest("button[data-mention]");
    if (!pick) return;
    var box = document.getElementById(pick.getAttribute("data-for"));
    if (!box) return;
    var before = box.value.slice(0, box.selectionStart);
    var typed = typedMention(box);
    var start = before.length - typed.length - 1;
    var inserted = "@" + pick.getAttribute("data-mention") + " ";
    box.value = box.value.slice(0, start) + inserted + box.value.slice(box.selectionStart);
    var list = document.getElementById(box.id + "-suggestions");
    if (list) list.hidden = true;
    box.focus();
    box.selectionStart = box.selectionEnd = start + inserted.length;
  });

  // From the comment box, Down arrow moves to the suggestions; Escape closes them.
  document.addEventListener("keydown", function (event) {
    var box = event.target;
    if (!box.matches || !box.matches("textarea[data-mentions]")) return;
    var list = document.getElementById(box.id + "-suggestions");
    if (!list || list.hidden) return;
    var first = list.querySelector("button[data-mention]");
    if (event.key === "ArrowDown" && first) {
      event.preventDefault();
      first.focus();
    } else if (event.key === "Escape") {
      list.hidden = true;
    }
  });

  // Search: "/" anywhere but in a text box goes to the header's search box; the down and up
  // arrows move between the matches offered under it, and Escape puts them away.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    if (target.closest && target.closest("input, textarea, select, [contenteditable]")) return;
    var box = document.getElementById("app-search-q");
    if (!box) return;
    event.preventDefault();
    box.focus();
    box.select();
  });

  function searchMatches() {
    var list = document.getElementById("app-search-suggestions");
    if (!list || list.hidden) return [];
    return Array.prototype.slice.call(list.querySelectorAll("a"));
  }

  document.addEventListener("keydown", function (event) {
    var box = document.getElementById("app-search-q");
    if (!box || !event.target.closest || !event.target.closest(".app-search")) return;
    var matches = searchMatches();
    var at = matches.indexOf(event.target);
    if (event.key === "Escape") {
      var list = document.getElementById("app-search-suggestions");
      if (list && !list.hidden) {
        event.preventDefault();
        list.hidden = true;
        box.focus();
      }
    } else if (event.key === "ArrowDown" && matches.length) {
      event.preventDefault();
      matches[Math.min(at + 1, matches.length - 1)].focus();
    } else if (event.key === "ArrowUp" && at >= 0) {
      event.preventDefault();
      if (at === 0) box.focus();
      else matches[at - 1].focus();
    }
  });

  // The matches go away when focus leaves the search altogether.
  document.addEventListener("focusin", function (event) {
    var list = document.getElementById("app-search-suggestions");
    if (list && !list.hidden && !(event.target.closest && event.target.closest(".app-search"))) {
      list.hidden = true;
    }
  });

  // "Show all" beside a service area opens every long cell in its row (without JavaScript
  // the same link loads the grid with that row open).
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a.app-row-expand");
    if (!link) return;
    var row = link.closest("tr");
    if (!row) return;
    event.preventDefault();
    var opening = link.getAttribute("data-opened") !== "true";
    row.querySelectorAll("details.app-cell__more").forEach(function (details) {
      details.open = opening;
    });
    link.setAttribute("data-opened", opening ? "true" : "false");
    link.querySelector(".app-row-expand__label").textContent = opening ? "Show less" : "Show all";
  });

  // True while the page holds something a person is writing: an open cell editor, or any
  // box whose text differs from what the page arrived with.
  function holdsTyping() {
    if (document.querySelector(".app-cell--editing")) return true;
    var boxes = document.querySelectorAll("main textarea, main input[type=text]");
    for (var i = 0; i < boxes.length; i++) {
      if (boxes[i].value !== boxes[i].defaultValue) return true;
    }
    return false;
  }

  // An ended sign-in must not throw away what someone typed: rather than follow the server
  // to the sign-in page (the live poll would do so within seconds), the page stays as it is
  // and says how to carry on. Signing in again in another tab lets the same form be saved.
  document.addEventListener("htmx:beforeOnLoad", function (event) {
    if (event.detail.xhr.status !== 401 || !holdsTyping()) return;
    event.preventDefault();
    var live = document.getElementById("app-live");
    if (!live || live.querySelector("a")) return;
    var signIn = event.detail.xhr.getResponseHeader("HX-Redirect") || "/sign-in";
    live.textContent = "You have been signed out, so nothing more can be saved yet. What you typed is still here. ";
    var link = document.createElement("a");
    link.className = "govuk-link";
    link.href = signIn;
    link.target = "_blank";
    link.textContent = "Sign in again in a new tab";
    live.appendChild(link);
    live.appendChild(document.createTextNode(", then come back and save."));
  });

  // Once a request goes through again (the person signed in elsewhere), the notice has done
  // its work.
  document.addEventListener("htmx:afterOnLoad", function (event) {
    var live = document.getElementById("app-live");
    if (event.detail.xhr.status < 400 && live && live.querySelector("a[target=_blank]")) {
      live.textContent = "You are signed in again. You can save now.";
    }
  });

  // Errors that are not swapped into the page (403, 404, 500…) are announced instead.
  document.addEventListener("htmx:responseError", function (event) {
    var live = document.getElementById("app-live");
    if (!live) return;
    var status = event.detail.xhr.status;
    live.textContent =
      status === 403
        ? "You do not have permission to do that."
        : status === 404
          ? "That is no longer here. Reload the page."
          : "Sorry, that did not work. Reload the page and try again.";
  });
  document.addEventListener("htmx:sendError", function () {
    var live = document.getElementById("app-live");
    if (live) live.textContent = "Could not reach the server. Check your connection and try again.";
  });
})();
