// Web entry of a questionnaire: ODK Web Forms renders the published XForm the page carries,
// and a filled form goes to the study's OpenRosa submission URL exactly as a phone sends it
// (multipart, `xml_submission_file` + one part per attachment), so web and phone interviews
// take one ingestion path. The page (templates/webforms/fill.html) provides:
//   #webform-xml      json_script: the XForm
//   #webform-config   json_script: {submissionUrl, mediaUrl, mediaPlaceholder, csrfToken,
//                     messages}
//   #webform          where the form is mounted
//   #webform-status   where the outcome is shown, with #webform-message and #webform-again
// The form XML is in the page; only its media files and the submission go over the network,
// and only to this server.
import { OdkWebForm, POST_SUBMIT__NEW_INSTANCE, webFormsPlugin } from "@getodk/web-forms";
import { createApp, h } from "vue";

const OPENROSA_RESPONSE_NS = "http://openrosa.org/http/response";

function readJson(id) {
  const node = document.getElementById(id);
  return node ? JSON.parse(node.textContent) : null;
}

/** The `<message>` of an OpenRosaResponse, or "" when the body is not one. */
function serverMessage(body) {
  if (!body) return "";
  const doc = new DOMParser().parseFromString(body, "application/xml");
  if (doc.getElementsByTagName("parsererror").length > 0) return "";
  const node =
    doc.getElementsByTagNameNS(OPENROSA_RESPONSE_NS, "message")[0] ??
    doc.getElementsByTagName("message")[0];
  return node ? node.textContent.trim() : "";
}

function format(template, values) {
  return template.replace(/%\((\w+)\)s/g, (match, name) =>
    name in values ? String(values[name]) : match,
  );
}

/** The multipart body a phone sends: the instance as submission.xml, then each attachment
 * under its own file name (the name the instance XML refers to). */
function submissionBody(instanceData) {
  const body = new FormData();
  const xml = instanceData.instanceFile;
  body.append("xml_submission_file", new Blob([xml], { type: "text/xml" }), "submission.xml");
  for (const file of instanceData.attachments ?? []) {
    body.append(file.name, file, file.name);
  }
  return body;
}

class StatusPanel {
  constructor(messages) {
    this.messages = messages;
    this.panel = document.getElementById("webform-status");
    this.text = document.getElementById("webform-message");
    this.again = document.getElementById("webform-again");
  }

  show(state, message) {
    this.panel.hidden = false;
    this.panel.dataset.state = state;
    this.text.className = `alert alert-${state === "sent" ? "success" : state === "sending" ? "info" : "error"}`;
    this.text.textContent = message;
    this.again.hidden = state !== "sent";
    if (state !== "sending") this.panel.scrollIntoView({ block: "nearest" });
  }

  clear() {
    this.panel.hidden = true;
    this.panel.dataset.state = "";
    this.text.textContent = "";
    this.again.hidden = true;
  }
}

async function send({ submissionUrl, csrfToken }, instanceData) {
  const response = await fetch(submissionUrl, {
    method: "POST",
    body: submissionBody(instanceData),
    credentials: "same-origin",
    headers: {
      "X-OpenRosa-Version": "1.0",
      "X-CSRFToken": csrfToken,
      Accept: "text/xml",
    },
  });
  const body = await response.text();
  return { ok: response.ok, status: response.status, message: serverMessage(body) };
}

function start() {
  const mountPoint = document.getElementById("webform");
  const formXml = readJson("webform-xml");
  const config = readJson("webform-config");
  if (!mountPoint || !formXml || !config) return;
  const { messages } = config;
  const status = new StatusPanel(messages);
  let sending = false;
  let startAgain = null;

  status.again.addEventListener("click", () => {
    status.clear();
    mountPoint.hidden = false;
    if (startAgain) startAgain();
    startAgain = null;
    mountPoint.scrollIntoView({ block: "start" });
  });

  // The questionnaire's media (jr://images/x.png, jr://file-csv/list.csv) come from the
  // study's OpenRosa media URL, as a phone gets them; a missing one is left blank
  // (missingResourceBehavior) rather than stopping the whole form from loading.
  const fetchFormAttachment = async (url) => {
    const filename = decodeURIComponent(url.pathname.split("/").pop() ?? "");
    if (!filename || !config.mediaUrl) return new Response(null, { status: 404 });
    const target = config.mediaUrl.replace(config.mediaPlaceholder, encodeURIComponent(filename));
    return fetch(target, {
      credentials: "same-origin",
      headers: { "X-OpenRosa-Version": "1.0" },
    });
  };

  // A correction: the form opens with the interview's current answers (and files), and
  // Web Forms sends it as an edit (deprecatedID), which the server keeps as the
  // interview's next version.
  const edit = config.edit ?? null;
  const fileUrl = (name) =>
    edit.attachmentUrl.replace(config.mediaPlaceholder, encodeURIComponent(name));
  const editInstance = edit && {
    resolveInstance: async () => {
      const response = await fetch(edit.instanceUrl, { credentials: "same-origin" });
      if (!response.ok) throw new Error(`The interview's answers: HTTP ${response.status}`);
      return response.text();
    },
    attachmentFileNames: edit.attachmentFileNames,
    resolveAttachment: (name) => fetch(fileUrl(name), { credentials: "same-origin" }),
  };

  async function onSubmit(payload, done) {
    if (sending) return; // a second click while the first send is on its way
    if (payload.status !== "ready") {
      done();
      return;
    }
    sending = true;
    status.show("sending", messages.sending);
    try {
      const result = await send(config, payload.data[0]);
      if (result.ok && edit) {
        // Back to the interview, where the new version and what changed are shown.
        status.show("sent", messages.sent);
        mountPoint.hidden = true;
        window.location.assign(edit.returnUrl);
      } else if (result.ok) {
        status.show("sent", result.message || messages.sent);
        mountPoint.hidden = true;
        // A fresh instance (and instanceID) only when asked for: until then the sent form
        // stays as it was, in case the researcher wants to read it over.
        startAgain = () => done({ next: POST_SUBMIT__NEW_INSTANCE });
      } else {
        // Refused (no consent, unknown source, conflict…): the answers stay in the form so
        // the researcher can correct them and send again.
        status.show(
          "refused",
          result.message || format(messages.refused, { status: result.status }),
        );
        done();
      }
    } catch (error) {
      console.error("Fieldwork: the submission did not reach the server.", error);
      status.show("offline", messages.offline);
      done();
    } finally {
      sending = false;
    }
  }

  const app = createApp({
    render: () =>
      h(OdkWebForm, {
        formXml,
        fetchFormAttachment,
        missingResourceBehavior: "BLANK",
        ...(editInstance ? { editInstance } : {}),
        onSubmit,
      }),
  });
  app.use(webFormsPlugin);
  app.mount(mountPoint);
  mountPoint.dataset.mounted = "true";
}

start();
