// Drives @huggingface/hub (the real huggingface.js client) against our hub:
// node hfjs.mjs <hubUrl> <token> <namespace> <repoName>
// HFJS_DIR names the folder whose node_modules holds @huggingface/hub.
import path from "node:path";
import { pathToFileURL } from "node:url";

const [hubUrl, accessToken, namespace, name] = process.argv.slice(2);
const hub = await import(pathToFileURL(path.join(process.env.HFJS_DIR, "node_modules/@huggingface/hub/dist/index.mjs")).href);

const me = await hub.whoAmI({ accessToken, hubUrl });
const repo = { type: "model", name: `${namespace}/${name}` };
const created = await hub.createRepo({ repo, accessToken, hubUrl, private: true });
let createAgainError = "";
try {
  await hub.createRepo({ repo, accessToken, hubUrl, private: true });
} catch (e) {
  createAgainError = `${e.statusCode} ${e.message}`;
}
const info = await hub.modelInfo({ name: repo.name, accessToken, hubUrl });
let infoAnonError = "";
try {
  await hub.modelInfo({ name: repo.name, hubUrl });
} catch (e) {
  infoAnonError = `${e.statusCode}`;
}
const listed = [];
for await (const m of hub.listModels({ search: { owner: namespace }, accessToken, hubUrl })) listed.push(m.name);
const listedAnon = [];
for await (const m of hub.listModels({ search: { owner: namespace }, hubUrl })) listedAnon.push(m.name);
const exists = await hub.repoExists({ repo, accessToken, hubUrl });
const existsAnon = await hub.repoExists({ repo, hubUrl });
await hub.deleteRepo({ repo, accessToken, hubUrl });
const existsAfter = await hub.repoExists({ repo, accessToken, hubUrl });
let badTokenError = "";
try {
  await hub.whoAmI({ accessToken: "hf_" + "a".repeat(34), hubUrl });
} catch (e) {
  badTokenError = `${e.statusCode} ${e.message}`;
}
console.log(JSON.stringify({ name: me.name, type: me.type, role: me.auth?.accessToken?.role, created, createAgainError,
  info: { name: info.name, private: info.private, updatedAt: info.updatedAt }, infoAnonError, listed, listedAnon,
  exists, existsAnon, existsAfter, badTokenError }));
