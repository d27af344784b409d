import sjson from "secure-json-parse";
import type { FastifyInstance } from "fastify";

const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

class BodyError extends Error {
  readonly statusCode = 400;
  constructor(message: string) {
    super(message);
    this.name = "SyntaxError";
  }
}

/**
 * Strict JSON bodies: valid UTF-8 only, no byte-order mark, and `__proto__` / `constructor.prototype`
 * keys refused (no prototype pollution). Size limits apply before parsing.
 */
export function registerJsonParser(app: FastifyInstance): void {
  app.removeContentTypeParser(["application/json", "text/plain"]);
  app.addContentTypeParser(/^application\/(.+\+)?json$/, { parseAs: "buffer" }, (_req, body: Buffer, done) => {
    if (body.length === 0) return done(new BodyError("request body must not be empty"), undefined);
    if (body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf) return done(new BodyError("request body must not start with a byte-order mark"), undefined);
    let text: string;
    try {
      text = decoder.decode(body);
    } catch {
      return done(new BodyError("request body is not valid UTF-8"), undefined);
    }
    try {
      done(null, sjson.parse(text, undefined, { protoAction: "error", constructorAction: "error" }));
    } catch {
      done(new BodyError("request body is not valid JSON"), undefined);
    }
  });
}
