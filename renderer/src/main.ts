// Renderer entry: connects to the lab host, then mounts the app; any failure is written into the page.
// A failure before Svelte mounts must still be visible, so it is rendered with plain DOM calls.

import { mount } from "svelte";
import App from "./App.svelte";
import { LabClient } from "./lib/client.ts";
import { Lab } from "./lib/lab.svelte.ts";
import "./app.css";

const root = document.getElementById("app")!;

function showFatal(message: string): void {
  const box = document.createElement("div");
  box.className = "fatal";
  box.setAttribute("role", "alert");
  const title = document.createElement("h1");
  title.textContent = "Hedron Lab cannot start";
  const text = document.createElement("p");
  text.textContent = message;
  box.append(title, text);
  root.replaceChildren(box);
}

let lab: Lab | undefined;
window.addEventListener("error", (e) => (lab ? lab.error(e.error ?? e.message) : showFatal(String(e.message))));
window.addEventListener("unhandledrejection", (e) => (lab ? lab.error(e.reason) : showFatal(String(e.reason))));

try {
  const client = await LabClient.connect((reason) => lab?.disconnect(reason));
  lab = new Lab(client);
  await lab.connect();
  root.replaceChildren();
  mount(App, { target: root, props: { lab } });
} catch (error) {
  showFatal(error instanceof Error ? error.message : String(error));
}
