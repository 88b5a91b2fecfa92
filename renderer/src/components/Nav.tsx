import { NAV_ITEMS } from '../lib/route.js';
import { navigate, useUi } from '../stores/ui.js';

/** The main navigation: one button per screen, the current one marked. */
export function Nav() {
  const route = useUi((s) => s.route);
  return (
    <nav aria-label="Main" className="nav">
      <ul>
        {NAV_ITEMS.map((item) => (
          <li key={item.route}>
            <button
              type="button"
              aria-current={route === item.route ? 'page' : undefined}
              onClick={() => navigate(item.route)}
            >
              {item.label}
            </button>
          </li>
        ))}
      </ul>
    </nav>
  );
}
