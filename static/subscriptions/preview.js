// Sign-up and preferences: guess the time zone (sign-up only), and preview recent papers as people type.
// Results are rendered with textContent only: paper titles are untrusted text.
(function () {
  "use strict";
  var DEBOUNCE_MS = 400;
  var section = document.getElementById("preview");
  var form = section && section.closest("form");
  if (!form) return;

  var zone = form.elements.timezone;
  if (form.hasAttribute("data-guess-timezone")) {
    try {
      var guessed = Intl.DateTimeFormat().resolvedOptions().timeZone;
      // Only when the visitor has not picked one already (e.g. after a form error).
      if (guessed && zone && zone.value === "UTC") {
        for (var i = 0; i < zone.options.length; i++) {
          if (zone.options[i].value === guessed) { zone.value = guessed; break; }
        }
      }
    } catch (e) { /* old browsers: keep UTC */ }
  }

  var status = document.getElementById("preview-status");
  var typical = document.getElementById("preview-typical");
  var list = document.getElementById("preview-list");
  // How the interests were read ("Topics: … · Leaving out: …"), so a misreading shows before the first email.
  var reading = document.getElementById("preview-reading");

  function showReading(text) {
    if (!reading) return;
    reading.textContent = text ? "Read as: " + text : "";
    reading.hidden = !text;
  }
  var timer = null;
  var latest = 0;

  function show(message) {
    status.textContent = message;
    typical.hidden = true;
    list.replaceChildren();
    showReading("");
  }

  function render(body) {
    var papers = body.papers || [];
    list.replaceChildren();
    status.textContent = papers.length ? "" : "Nothing recent matches yet; try other words.";
    // How many papers a typical day would bring with these interests and the reader's threshold.
    if (typeof body.papers_per_day === "number") {
      var n = body.papers_per_day;
      typical.textContent = "A typical day would bring " + (n === 1 ? "1 paper." : n + " papers.");
      typical.hidden = false;
    } else {
      typical.hidden = true;
    }
    papers.forEach(function (paper) {
      var item = document.createElement("li");
      var link = document.createElement(paper.url ? "a" : "span");
      link.textContent = paper.title;
      if (paper.url && /^https?:\/\//.test(paper.url)) { link.href = paper.url; link.rel = "noopener"; link.target = "_blank"; }
      item.appendChild(link);
      if (paper.why) {
        var why = document.createElement("span");
        why.className = "why";
        why.textContent = "Why: " + paper.why;
        item.appendChild(why);
      }
      list.appendChild(item);
    });
  }

  function field(name) {
    var element = form.elements[name];
    return element ? element.value : "";
  }

  var pausedUntil = 0;

  function refresh() {
    var interests = field("interests").trim();
    if (interests.length < 3) { show("Start typing your interests to see a preview."); return; }
    // The server caps each visitor's preview work; once spent, wait as it says instead of asking again.
    var wait = pausedUntil - Date.now();
    if (wait > 0) { clearTimeout(timer); timer = setTimeout(refresh, wait); return; }
    // POST: the text stays out of URLs and server logs, and may be as long as the form allows.
    var body = new URLSearchParams({ interests: interests, exclusions: field("exclusions") });
    ["threshold_mode", "digest_size"].forEach(function (name) {
      var element = form.elements[name];
      if (element && element.value) body.set(name, element.value);
    });
    var ticket = ++latest;
    status.textContent = "Looking…";
    fetch(section.dataset.previewUrl, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": form.elements.csrfmiddlewaretoken.value }
    })
      .then(function (response) { return response.json().then(function (body) { return { ok: response.ok, status: response.status, body: body }; }); })
      .then(function (result) {
        if (ticket !== latest) return; // a newer request is on its way
        if (result.ok) {
          render(result.body);
          showReading(result.body.reading && result.body.reading.text);
          return;
        }
        if (result.status === 429 && result.body.retry_after) {
          pausedUntil = Date.now() + result.body.retry_after * 1000;
          show("The preview is resting for a moment; it will update by itself. You can save meanwhile.");
          schedule();
          return;
        }
        show("The preview is not available right now; you can still save.");
      })
      .catch(function () { if (ticket === latest) show("The preview is not available right now; you can still save."); });
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(refresh, DEBOUNCE_MS);
  }

  ["interests", "exclusions"].forEach(function (name) {
    if (form.elements[name]) form.elements[name].addEventListener("input", schedule);
  });
  ["threshold_mode", "digest_size"].forEach(function (name) {
    var element = form.elements[name];
    if (!element) return;
    (element instanceof RadioNodeList ? Array.prototype.slice.call(element) : [element]).forEach(function (el) {
      el.addEventListener("change", schedule);
    });
  });
  if (field("interests")) schedule();
})();
