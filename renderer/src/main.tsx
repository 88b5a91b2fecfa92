import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.js';
import { connect } from './stores/connect.js';
import { startUi } from './stores/ui.js';
import './styles.css';

startUi();
connect((window as Partial<Window>).idlewatch);

const root = document.getElementById('root');
if (root) {
  createRoot(root).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
}
