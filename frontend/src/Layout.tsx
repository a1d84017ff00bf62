import { Suspense, useEffect, useRef } from 'react';
import { Link, NavLink, Outlet, useLocation } from 'react-router';
import { ViewerBadge, ViewerProvider } from './api/viewer';
import { SettingsMenu } from './components/SettingsMenu';
import { Loading } from './components/states';
import { SignInGate } from './components/SignInGate';
import { ErrorBoundary } from './ErrorBoundary';

const links = [
  { to: '/webhooks', label: 'Profile webhooks' },
  { to: '/endpoints', label: 'Incoming endpoints' },
  { to: '/deliveries', label: 'Delivery log' },
  { to: '/users', label: 'Users' },
  { to: '/fields', label: 'Profile fields' },
  { to: '/security', label: 'Security' },
];

export function Layout() {
  const location = useLocation();
  const main = useRef<HTMLElement>(null);
  const firstPath = useRef(location.pathname);
  // After in-app navigation, start keyboard and screen-reader users at the new page.
  useEffect(() => {
    if (location.pathname !== firstPath.current) {
      firstPath.current = '';
      main.current?.focus({ preventScroll: true });
    }
  }, [location.pathname]);
  return (
    <ViewerProvider>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="app-header">
        <Link className="brand" to="/webhooks">
          profilehooks
        </Link>
        <nav className="app-nav" aria-label="Main">
          <ul>
            {links.map((l) => (
              <li key={l.to}>
                <NavLink to={l.to}>{l.label}</NavLink>
              </li>
            ))}
          </ul>
        </nav>
        <span className="spacer" />
        <ViewerBadge />
        <SettingsMenu />
      </header>
      <main id="main" className="app-main" tabIndex={-1} ref={main}>
        <SignInGate>
          <ErrorBoundary key={location.pathname}>
            <Suspense fallback={<Loading what="Loading page" />}>
              <Outlet />
            </Suspense>
          </ErrorBoundary>
        </SignInGate>
      </main>
    </ViewerProvider>
  );
}
