import nodemailer from "nodemailer";
import { request } from "undici";

/** The network side of notification channels; tests substitute nothing: they run real receivers. */
export interface Senders {
  /** POSTs a JSON body; returns the HTTP status. */
  post(url: string, body: string, headers: Record<string, string>): Promise<number>;
  /** Sends a plain-text email; throws when SMTP is not configured or refuses. */
  email(to: string[], subject: string, text: string): Promise<void>;
}

export interface SmtpConfig {
  /** `smtp://user:pass@host:port` or `smtps://…`. */
  url: string;
  from: string;
}

export function networkSenders(smtp: SmtpConfig | null, timeoutMs = 10_000): Senders & { close(): void } {
  const transport = smtp === null ? null : nodemailer.createTransport(smtp.url, { from: smtp.from });
  return {
    async post(url, body, headers) {
      const res = await request(url, { method: "POST", body, headers, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
      await res.body.dump();
      return res.statusCode;
    },
    async email(to, subject, text) {
      if (transport === null) throw new Error("SMTP is not configured (GATEHOUSE_SMTP_URL)");
      await transport.sendMail({ from: smtp?.from, to, subject, text });
    },
    close() {
      transport?.close();
    },
  };
}
