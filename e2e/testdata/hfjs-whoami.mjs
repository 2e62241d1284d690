// Prints what @huggingface/hub's whoAmI returns for a token:
// node hfjs-whoami.mjs <hubUrl> <token>
// HFJS_DIR names the folder whose node_modules holds @huggingface/hub.
import path from "node:path";
import { pathToFileURL } from "node:url";

const [hubUrl, accessToken] = process.argv.slice(2);
const hub = await import(pathToFileURL(path.join(process.env.HFJS_DIR, "node_modules/@huggingface/hub/dist/index.mjs")).href);
const me = await hub.whoAmI({ accessToken, hubUrl });
console.log(JSON.stringify({ name: me.name, auth: me.auth }));
