import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { dismissToast, holdToasts, TOAST_GRACE_MS, TOAST_LIFETIME_MS, toast, useToasts } from './toasts.js';

const texts = () => useToasts.getState().toasts.map((t) => t.text);

describe('toasts', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    holdToasts(false);
    for (const t of useToasts.getState().toasts) dismissToast(t.id);
    vi.useRealTimers();
  });

  it('go away by themselves, errors later than successes', () => {
    toast('ok', 'done');
    toast('error', 'refused');
    vi.advanceTimersByTime(TOAST_LIFETIME_MS.ok);
    expect(texts()).toEqual(['refused']);
    vi.advanceTimersByTime(TOAST_LIFETIME_MS.error - TOAST_LIFETIME_MS.ok);
    expect(texts()).toEqual([]);
  });

  it('stay while held (the user is in them), then get their time left', () => {
    toast('ok', 'done');
    vi.advanceTimersByTime(TOAST_LIFETIME_MS.ok - 5000);
    holdToasts(true);
    // A toast raised while held waits too.
    toast('ok', 'second');
    vi.advanceTimersByTime(60_000);
    expect(texts()).toEqual(['done', 'second']);
    holdToasts(false);
    vi.advanceTimersByTime(4999);
    expect(texts()).toEqual(['done', 'second']);
    vi.advanceTimersByTime(1);
    expect(texts()).toEqual(['second']);
    vi.advanceTimersByTime(TOAST_LIFETIME_MS.ok);
    expect(texts()).toEqual([]);
  });

  it('released with almost no time left, a toast still stays for the grace period', () => {
    toast('ok', 'done');
    vi.advanceTimersByTime(TOAST_LIFETIME_MS.ok - 10);
    holdToasts(true);
    holdToasts(false);
    vi.advanceTimersByTime(TOAST_GRACE_MS - 1);
    expect(texts()).toEqual(['done']);
    vi.advanceTimersByTime(1);
    expect(texts()).toEqual([]);
  });

  it('keeps the newest five', () => {
    for (let i = 1; i <= 7; i++) toast('ok', `t${i}`);
    expect(texts()).toEqual(['t3', 't4', 't5', 't6', 't7']);
  });
});
