// Verifies one delivery with the official svix and standardwebhooks libraries.
// stdin: {"secret": "whsec_...", "headers": {name: value}, "body": "<base64>"}
// stdout: {"svix": "ok" | error message, "standardwebhooks": "ok" | error message}
const { Webhook: Svix } = require("svix");
const { Webhook: Standard } = require("standardwebhooks");

function check(Lib, secret, body, headers) {
  try {
    new Lib(secret).verify(body, headers);
    return "ok";
  } catch (e) {
    return String(e && e.message ? e.message : e);
  }
}

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (c) => (input += c));
process.stdin.on("end", () => {
  const d = JSON.parse(input);
  const body = Buffer.from(d.body, "base64");
  const headers = {};
  for (const [k, v] of Object.entries(d.headers)) headers[k.toLowerCase()] = v;
  process.stdout.write(JSON.stringify({
    svix: check(Svix, d.secret, body, headers),
    standardwebhooks: check(Standard, d.secret, body, headers),
  }));
});
