// Sign-up page: guess the time zone, and preview recent papers as people type.
// Results are rendered with textContent only: paper titles are untrusted text.
(function () {
  "use strict";
  var DEBOUNCE_MS = 400;
  var form = document.getElementById("signup-form");
  var section = document.getElementById("preview");
  if (!form || !section) return;

  var zone = form.elements.timezone;
  try {
    var guessed = Intl.DateTimeFormat().resolvedOptions().timeZone;
    // Only when the visitor has not picked one already (e.g. after a form error).
    if (guessed && zone && zone.value === "UTC") {
      for (var i = 0; i < zone.options.length; i++) {
        if (zone.options[i].value === guessed) { zone.value = guessed; break; }
      }
    }
  } catch (e) { /* old browsers: keep UTC */ }

  var status = document.getElementById("preview-status");
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
    list.replaceChildren();
    showReading("");
  }

  function render(papers) {
    list.replaceChildren();
    status.textContent = papers.length ? "" : "Nothing recent matches yet; try other words.";
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

  var pausedUntil = 0;

  function refresh() {
    var interests = form.elements.interests.value.trim();
    if (interests.length < 3) { show("Start typing your interests to see a preview."); return; }
    // The server caps each visitor's preview work; once spent, wait as it says instead of asking again.
    var wait = pausedUntil - Date.now();
    if (wait > 0) { clearTimeout(timer); timer = setTimeout(refresh, wait); return; }
    // POST: the text stays out of URLs and server logs, and may be as long as the form allows.
    var body = new URLSearchParams({ interests: interests, exclusions: form.elements.exclusions.value });
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
          render(result.body.papers || []);
          showReading(result.body.reading && result.body.reading.text);
          return;
        }
        if (result.status === 429 && result.body.retry_after) {
          pausedUntil = Date.now() + result.body.retry_after * 1000;
          show("The preview is resting for a moment; it will update by itself. You can subscribe meanwhile.");
          schedule();
          return;
        }
        show("The preview is not available right now; you can still subscribe.");
      })
      .catch(function () { if (ticket === latest) show("The preview is not available right now; you can still subscribe."); });
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(refresh, DEBOUNCE_MS);
  }

  form.elements.interests.addEventListener("input", schedule);
  form.elements.exclusions.addEventListener("input", schedule);
  if (form.elements.interests.value) schedule();
})();
