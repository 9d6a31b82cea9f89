/* The canvas editor's keyboard and leaving (dashboard/pages/editor.py).

   Owns what the browser must do itself, while an editor is on the page:
   - Esc, or a tap on the empty canvas: back to the pipeline's settings panel (it presses
     the hidden "deselect" button, so the server's operate callback does it, in its order);
   - Ctrl/Cmd+Z undo, Shift+Ctrl/Cmd+Z (or Ctrl+Y) redo, through the editor's own buttons
     (its history of the definition); inside a text field the field's own undo is left alone;
   - the canvas and both tabs get a tab stop (Tab reaches them; Enter or Space opens a tab);
   - unsaved edits (the hidden marker has class "dirty", set by the server from the history)
     make the browser ask before the page is left: a reload or a closed tab (beforeunload),
     and a link to another page of the dashboard, which does not unload the page. */
(function () {
    "use strict";
    var CANVAS = "editor-canvas", DIRTY = "editor-dirty";

    function opButton(op) {
        return document.getElementById(JSON.stringify({op: op, type: "editor-op"}));
    }

    function press(op) {
        var button = opButton(op);
        if (button && !button.disabled) { button.click(); return true; }
        return false;
    }

    function dirty() {
        var marker = document.getElementById(DIRTY);
        return !!(marker && marker.classList.contains("dirty"));
    }

    function typing(target) {
        var tag = (target && target.tagName) || "";
        return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable);
    }

    document.addEventListener("keydown", function (e) {
        if (!opButton("deselect") || document.querySelector(".modal.show")) { return; }
        if (e.key === "Escape") {
            if (typing(e.target)) { e.target.blur(); }
            press("deselect");
            return;
        }
        var mod = e.ctrlKey || e.metaKey, key = (e.key || "").toLowerCase();
        if (!mod || typing(e.target)) { return; }
        if (key === "z" && !e.shiftKey) {
            if (press("undo")) { e.preventDefault(); }
        } else if ((key === "z" && e.shiftKey) || key === "y") {
            if (press("redo")) { e.preventDefault(); }
        }
    });

    window.addEventListener("beforeunload", function (e) {
        if (dirty()) { e.preventDefault(); e.returnValue = ""; }
    });

    // Links to other pages are handled by Dash without unloading: ask first (capture: before Dash).
    document.addEventListener("click", function (e) {
        var link = e.target.closest && e.target.closest("a[href]");
        if (!link || !dirty() || link.closest(".nav-tabs") || link.getAttribute("href").charAt(0) === "#") { return; }
        // The question in the reader's language: the server puts it in the marker's title.
        var marker = document.getElementById(DIRTY);
        var question = (marker && marker.title) || "This pipeline has unsaved changes. Leave the editor and lose them?";
        if (!window.confirm(question)) {
            e.preventDefault();
            e.stopImmediatePropagation();
        }
    }, true);

    // The canvas appears with the page (and again after a navigation): give it a tab stop
    // and a tap handler once per cytoscape instance.
    setInterval(function () {
        var el = document.getElementById(CANVAS), cy = el && el._cyreg && el._cyreg.cy;
        // The canvas's name in the reader's language: the server puts it on the hidden marker.
        var marker = document.getElementById(DIRTY), named = marker && marker.getAttribute("data-canvas-label");
        if (el && named && el.getAttribute("aria-label") !== named) { el.setAttribute("aria-label", named); }
        if (!cy || cy._millraceKeys) { return; }
        cy._millraceKeys = true;
        el.setAttribute("tabindex", "0");
        if (!named) {
            el.setAttribute("aria-label", "Pipeline canvas: click a card to edit it; Esc shows the pipeline settings");
        }
        cy.on("tap", function (evt) {
            if (evt.target === cy) { press("deselect"); }
        });
    }, 200);

    // The Canvas and YAML tabs: each a tab stop, opened with Enter or Space like a button.
    setInterval(function () {
        var links = document.querySelectorAll("#editor-tabs .nav-link:not([data-keys])");
        for (var i = 0; i < links.length; i++) {
            links[i].setAttribute("data-keys", "1");
            links[i].setAttribute("tabindex", "0");
            links[i].addEventListener("keydown", function (e) {
                if (e.key === "Enter" || e.key === " ") { e.preventDefault(); e.currentTarget.click(); }
            });
        }
    }, 200);
})();
