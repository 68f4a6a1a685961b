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
    if (event.target.closest("a, button, input, select, textarea, label")) return;
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
