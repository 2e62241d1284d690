// Reads a model's card metadata with @huggingface/hub's modelInfo, as a
// huggingface.js user asks for it (additionalFields: ["cardData"]):
// node hfjs_card.mjs <hubUrl> <token> <namespace/name>
// HFJS_DIR names the folder whose node_modules holds @huggingface/hub.
import path from "node:path";
import { pathToFileURL } from "node:url";

const [hubUrl, accessToken, name] = process.argv.slice(2);
const hub = await import(pathToFileURL(path.join(process.env.HFJS_DIR, "node_modules/@huggingface/hub/dist/index.mjs")).href);

const info = await hub.modelInfo({ name, accessToken, hubUrl, additionalFields: ["cardData"] });
const anon = await hub.modelInfo({ name, hubUrl, additionalFields: ["cardData"], revision: "main" });
console.log(JSON.stringify({ name: info.name, cardData: info.cardData, anonCardData: anon.cardData }));
