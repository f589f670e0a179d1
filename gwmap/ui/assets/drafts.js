// Text typed into gwmap's forms outlives a reload (F5) of the tab, as in a desktop form.
//
// Streamlit holds a form's values in the browser until "submit", so the server
// cannot keep them: this script does, in the tab's sessionStorage (gone when
// the tab closes, never sent anywhere, cleared at sign-out).  A draft is keyed
// by the page address (path and query, so ?lead=XS… keeps one case's note
// apart from another's), the field's label and its place among fields with
// that label.  It is put back only into an empty field, and again if the page
// empties the field while it loads (Streamlit can redraw a field from the
// server's empty value after the draft went in); submitting the field's form,
// by its button or from the keyboard, drops the drafts of that form, and
// emptying a field drops its draft.  Passwords are never kept.
(function () {
  "use strict";
  var PREFIX = "gwmap-draft:";
  if (window.gwmapDrafts) { return; }
  window.gwmapDrafts = true;
  var FIELDS = 'textarea, input[type="text"]';

  function keyOf(el) {
    var label = el.getAttribute("aria-label") || "";
    if (!label) { return null; }
    var same = Array.prototype.filter.call(document.querySelectorAll(FIELDS), function (other) {
      return other.getAttribute("aria-label") === label;
    });
    return PREFIX + location.pathname + location.search + "|" + label + "|" + same.indexOf(el);
  }

  function kept(el) {
    // typed text in a form only (a search box outside a form acts on Enter; its value would show unapplied),
    // not the date pickers, number boxes or select boxes Streamlit draws with inputs
    return el.matches(FIELDS) && !!el.closest('[data-testid="stForm"]') && !el.closest('[data-testid="stDateInput"], [data-testid="stNumberInput"], ' +
      '[data-testid="stSelectbox"], [data-testid="stMultiSelect"], [data-testid="stTimeInput"]');
  }

  function put(el, value) {
    var proto = el.tagName === "TEXTAREA" ? HTMLTextAreaElement.prototype : HTMLInputElement.prototype;
    Object.getOwnPropertyDescriptor(proto, "value").set.call(el, value);  // React reads the native setter
    el.dispatchEvent(new Event("input", { bubbles: true }));
  }

  document.addEventListener("input", function (ev) {
    var el = ev.target;
    if (!el || !el.matches || !kept(el) || el.dataset.gwmapRestoring) { return; }
    var key = keyOf(el);
    if (!key) { return; }
    try {
      if (el.value) { sessionStorage.setItem(key, el.value); } else { sessionStorage.removeItem(key); }
    } catch (e) { /* storage full or off: typing still works */ }
  }, true);

  function dropDraftsOf(form) {
    if (!form) { return; }
    Array.prototype.forEach.call(form.querySelectorAll(FIELDS), function (el) {
      var key = keyOf(el);
      if (key) { try { sessionStorage.removeItem(key); } catch (e) { /* storage off */ } }
    });
  }

  document.addEventListener("click", function (ev) {
    var button = ev.target && ev.target.closest && ev.target.closest('[data-testid="stFormSubmitButton"] button');
    dropDraftsOf(button && button.closest('[data-testid="stForm"]'));
  }, true);

  // Streamlit submits a form on Enter in a one-line field and on Ctrl/Cmd+Enter in a text area
  document.addEventListener("keydown", function (ev) {
    var el = ev.target;
    if (ev.key !== "Enter" || ev.isComposing || !el || !el.matches || !kept(el)) { return; }
    if (el.tagName === "TEXTAREA" && !(ev.ctrlKey || ev.metaKey)) { return; }
    dropDraftsOf(el.closest('[data-testid="stForm"]'));
  }, true);

  function restore() {
    Array.prototype.forEach.call(document.querySelectorAll(FIELDS), function (el) {
      if (el.value || !kept(el)) { return; }
      var key = keyOf(el);
      var draft = null;
      try { draft = key && sessionStorage.getItem(key); } catch (e) { /* storage off */ }
      if (draft) {
        el.dataset.gwmapRestoring = "1";
        put(el, draft);
        delete el.dataset.gwmapRestoring;
      }
    });
  }

  // text typed before this script ran (a slow page) is kept too
  Array.prototype.forEach.call(document.querySelectorAll(FIELDS), function (el) {
    var key = kept(el) && el.value ? keyOf(el) : null;
    if (key) { try { sessionStorage.setItem(key, el.value); } catch (e) { /* as above */ } }
  });
  new MutationObserver(restore).observe(document.body, { childList: true, subtree: true });
  // a field's value set back by the page changes no node, so the observer does not see it: look again now and then
  window.setInterval(restore, 500);
  restore();
})();
