// A fake of the part of Stripe's API the shop calls (PaymentIntents: create, retrieve, cancel;
// refunds), for the journeys that run the shop in Stripe mode without a network. Like Stripe, a
// repeated Idempotency-Key gets the first answer; PaymentIntents wait for a payment that never
// comes (no browser can reach Stripe.js here), so their orders wait, then expire.
//
// Usage: node fake-stripe.mjs <port>
import { createServer } from "node:http";

const port = Number(process.argv[2]);
const intents = new Map(); // id → { status, amount }
const byKey = new Map(); // Idempotency-Key → answer
let refunds = 0;

const intent = (id) => ({
  id,
  object: "payment_intent",
  client_secret: `${id}_secret_e2e`,
  status: intents.get(id).status,
  amount: intents.get(id).amount,
  currency: "usd",
});

function answer(request, body) {
  const key = request.headers["idempotency-key"];
  if (key && byKey.has(key)) return [200, byKey.get(key)];
  let reply;
  const path = request.url.split("?")[0];
  const cancel = path.match(/^\/v1\/payment_intents\/([\w]+)\/cancel$/);
  const retrieve = path.match(/^\/v1\/payment_intents\/([\w]+)$/);
  if (request.method === "GET" && path === "/health") {
    return [200, { ok: true }];
  } else if (request.method === "POST" && path === "/v1/payment_intents") {
    const id = `pi_e2e_${intents.size + 1}`;
    intents.set(id, { status: "requires_payment_method", amount: Number(body.get("amount")) });
    reply = [200, intent(id)];
  } else if (request.method === "GET" && retrieve && intents.has(retrieve[1])) {
    return [200, intent(retrieve[1])];
  } else if (request.method === "POST" && cancel && intents.has(cancel[1])) {
    const found = intents.get(cancel[1]);
    if (found.status === "succeeded") {
      return [400, { error: { code: "payment_intent_unexpected_state" } }];
    }
    found.status = "canceled";
    reply = [200, intent(cancel[1])];
  } else if (request.method === "POST" && path === "/v1/refunds") {
    refunds += 1;
    reply = [200, { id: `re_e2e_${refunds}`, object: "refund", status: "succeeded" }];
  } else {
    return [404, { error: { message: `no route ${request.method} ${path}` } }];
  }
  if (key) byKey.set(key, reply);
  return reply;
}

createServer((request, response) => {
  let text = "";
  request.on("data", (chunk) => (text += chunk));
  request.on("end", () => {
    const [status, json] = answer(request, new URLSearchParams(text));
    response.writeHead(status, { "content-type": "application/json" });
    response.end(JSON.stringify(json));
  });
}).listen(port, "127.0.0.1");
