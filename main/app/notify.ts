// Desktop notifications for the engine's alerts. Each Notification stays referenced until it is
// clicked, closed or fails (otherwise it can be garbage-collected and its click lost).
import type { EngineClient, HostNotification } from '../engine/index.js';
import type { ElectronApi, ShellNotification } from './electron-api.js';
import { notificationText } from './notify-text.js';

/** At most this many notifications are kept for their clicks; older ones are let go. */
const KEEP = 20;

/** The engine's notifications, shown by the OS; a click opens the window on the incident. */
export function setupNotifications(
  Notification: ElectronApi['Notification'],
  client: Pick<EngineClient, 'onNotify'>,
  opts: { platform: NodeJS.Platform; icon: string; onClick: (incidentKey: string | null) => void },
): void {
  const notifier = new Notifier(Notification, opts);
  client.onNotify((n) => notifier.show(n));
}

export class Notifier {
  private readonly live = new Set<ShellNotification>();

  constructor(
    private readonly Notification: ElectronApi['Notification'],
    private readonly opts: {
      platform: NodeJS.Platform;
      icon?: string;
      /** The notification was clicked: open the window on its incident (null: on the overview). */
      onClick: (incidentKey: string | null) => void;
    },
  ) {}

  /**
   * Shows one engine notification. The engine's policy has already applied the user's
   * notifications setting, the cooldown and grouping, so nothing is filtered here.
   */
  show(n: HostNotification): void {
    if (!this.Notification.isSupported()) return;
    const { title, body } = notificationText(n, this.opts.platform);
    const notification = new this.Notification({
      title,
      body,
      urgency: n.severity === 'high' ? 'critical' : 'normal',
      ...(this.opts.icon ? { icon: this.opts.icon } : {}),
    });
    const release = (): void => {
      this.live.delete(notification);
    };
    notification.on('click', () => {
      release();
      this.opts.onClick(n.incidentKey);
    });
    notification.on('close', release);
    notification.on('failed', release);
    this.live.add(notification);
    if (this.live.size > KEEP) {
      const oldest = this.live.values().next().value;
      if (oldest) this.live.delete(oldest);
    }
    notification.show();
  }
}
