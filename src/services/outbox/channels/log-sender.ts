import { appendFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { MessageSender, RenderedMessage } from '../message-sender.js';

/** Development channel: every message as one JSON line in a file, to read instead of an inbox. */
export class LogSender implements MessageSender {
  constructor(private readonly file: string) {}

  async send(message: RenderedMessage): Promise<void> {
    await mkdir(path.dirname(this.file), { recursive: true });
    await appendFile(this.file, JSON.stringify({ at: new Date().toISOString(), ...message }) + '\n');
  }
}
