// reportgen serve: enhancements only. Without JavaScript the form posts and the server renders
// the same result page; with it, files can be dropped on the box, limits are checked before the
// upload, the button shows that the upload is under way, the problem table can be filtered by
// file and severity, and a one-time link can be copied with a click.
"use strict";

(function () {
  function formatMb(bytes) {
    return (bytes / (1024 * 1024)).toFixed(0) + " MB";
  }

  function setupUpload() {
    var form = document.getElementById("upload-form");
    var input = document.getElementById("workbooks");
    var drop = document.getElementById("drop");
    var list = document.getElementById("chosen");
    var hint = document.getElementById("drop-hint");
    var message = document.getElementById("client-error");
    if (!form || !input || !drop) return;
    var accepted = /\.(xlsx|xlsm|ods)$/i;
    if (hint) hint.hidden = false;

    function showChosen() {
      list.textContent = "";
      Array.prototype.forEach.call(input.files, function (file) {
        var item = document.createElement("li");
        item.textContent = file.name + "（" + Math.max(1, Math.round(file.size / 1024)) + " KB）";
        list.appendChild(item);
      });
    }

    function problem() {
      var maxFile = Number(form.dataset.maxFile), maxTotal = Number(form.dataset.maxTotal);
      var maxCount = Number(form.dataset.maxCount), total = 0;
      var files = Array.prototype.slice.call(input.files);
      if (files.length > maxCount) return "一次最多上傳 " + maxCount + " 個活頁簿，您選了 " + files.length + " 個。";
      for (var i = 0; i < files.length; i++) {
        if (/\.xls$/i.test(files[i].name)) {  // the server's own words for Excel 97-2003
          return "「" + files[i].name + "」是舊版 Excel 活頁簿（.xls），無法讀取。請在 Excel 或 Calc 開啟後「另存為」.xlsx 活頁簿再上傳。";
        }
        if (/^~\$/.test(files[i].name)) continue;  // Office's lock file: left out, as a folder build skips it
        if (!accepted.test(files[i].name)) return "「" + files[i].name + "」不是活頁簿（.xlsx、.xlsm 或 .ods）。";
        if (files[i].size > maxFile) return "「" + files[i].name + "」超過每個檔案 " + formatMb(maxFile) + " 的上限。";
        total += files[i].size;
      }
      if (total > maxTotal) return "檔案合計超過 " + formatMb(maxTotal) + " 的上限，請分批上傳。";
      return "";
    }

    input.addEventListener("change", showChosen);
    ["dragenter", "dragover"].forEach(function (name) {
      drop.addEventListener(name, function (event) {
        event.preventDefault();
        drop.classList.add("over");
      });
    });
    ["dragleave", "drop"].forEach(function (name) {
      drop.addEventListener(name, function () { drop.classList.remove("over"); });
    });
    drop.addEventListener("drop", function (event) {
      event.preventDefault();
      if (event.dataTransfer && event.dataTransfer.files.length) {
        input.files = event.dataTransfer.files;
        showChosen();
      }
    });
    var button = document.getElementById("submit");
    var progress = document.getElementById("progress");
    var label = button ? button.textContent : "";
    function idle() {  // also when the page comes back from the browser's cache (Back)
      if (button) { button.disabled = false; button.textContent = label; button.removeAttribute("aria-busy"); }
      if (progress) progress.hidden = true;
    }
    form.addEventListener("submit", function (event) {
      var text = problem();
      message.hidden = !text;
      message.textContent = text;
      if (text) { event.preventDefault(); return; }
      if (button) { button.disabled = true; button.textContent = "檢核中…"; button.setAttribute("aria-busy", "true"); }
      if (progress) progress.hidden = false;
    });
    window.addEventListener("pageshow", idle);
  }

  // The import form (and any other that takes a while): one submission, the button saying so.
  function busyOnSubmit(buttonId, busyText) {
    var button = document.getElementById(buttonId);
    if (!button || !button.form) return;
    var label = button.textContent;
    button.form.addEventListener("submit", function (event) {
      if (button.disabled) { event.preventDefault(); return; }  // a double click sends it once
      button.disabled = true;
      button.textContent = busyText;
      button.setAttribute("aria-busy", "true");
    });
    window.addEventListener("pageshow", function () {
      button.disabled = false;
      button.textContent = label;
      button.removeAttribute("aria-busy");
    });
  }

  function setupCopy() {
    var field = document.getElementById("invite-link");
    var button = document.getElementById("invite-copy");
    if (!field || !button || !navigator.clipboard) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(field.value).then(function () { button.textContent = "已複製"; });
    });
  }

  function setupFilters() {
    var table = document.getElementById("problems");
    var box = document.getElementById("filters");
    if (!table || !box) return;
    var severity = document.getElementById("filter-severity");
    var file = document.getElementById("filter-file");
    var count = document.getElementById("filter-count");
    box.hidden = false;
    function apply() {
      var shown = 0, rows = table.tBodies[0].rows;
      for (var i = 0; i < rows.length; i++) {
        var row = rows[i];
        var visible = (!severity.value || row.dataset.severity === severity.value) &&
                      (!file.value || row.dataset.file === file.value);
        row.classList.toggle("hidden", !visible);
        if (visible) shown++;
      }
      count.textContent = "顯示 " + shown + " / " + rows.length + " 項";
    }
    severity.addEventListener("change", apply);
    file.addEventListener("change", apply);
    apply();
  }

  document.addEventListener("DOMContentLoaded", function () {
    setupUpload();
    setupFilters();
    setupCopy();
    busyOnSubmit("import-submit", "轉換中…");
  });
})();
