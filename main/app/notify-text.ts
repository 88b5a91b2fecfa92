/**
 * The text of a desktop notification, built from the engine's notification. Pure (no electron), so
 * hostile process names are unit-tested: the engine's title names the process and its body gives
 * the evidence, and both carry whatever the process called itself.
 */
import type { HostNotification } from '../engine/index.js';
import { cleanLine, truncate, truncateMiddle } from './sanitize.js';

/** Windows toasts show about this much of a title; longer ones are cut mid-name, keeping the end. */
export const TITLE_MAX = 80;
export const BODY_MAX = 200;
/** The end of the engine's title ("… may be mining on your computer") that must survive truncation. */
const TITLE_KEEP_END = 31;

export interface NotificationText {
  title: string;
  body: string;
}

/**
 * One-line title and body. Control characters, line breaks and bidi overrides are gone, over-long
 * names are cut in the middle of the name so the sentence still reads, and on Linux (where
 * notification servers may read the body as markup) `<`, `>` and `&` become look-alikes that are
 * not markup, so a process named `<a href=…>` shows as text and links nowhere.
 */
export function notificationText(n: HostNotification, platform: NodeJS.Platform): NotificationText {
  const markupSafe = (s: string): string =>
    platform === 'linux' ? s.replace(/</g, '‹').replace(/>/g, '›').replace(/&/g, '＆') : s;
  const title = markupSafe(truncateMiddle(cleanLine(n.title), TITLE_MAX, TITLE_KEEP_END)) || 'Idlewatch alert';
  const body = markupSafe(truncate(cleanLine(n.body), BODY_MAX)) || 'Open Idlewatch to see why.';
  return { title, body };
}
