import '@mantine/core/styles.css';
import '@mantine/charts/styles.css';
import './console.css';
import { createTheme, CSSVariablesResolver, MantineProvider } from '@mantine/core';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';

// Mantine's default shade 6 puts white text on blue below WCAG AA contrast; shade 8 passes.
// autoContrast puts dark text on light fills (yellow).
const theme = createTheme({ primaryShade: 8, autoContrast: true });
// Dimmed text (input descriptions) is gray 6 by default, below WCAG AA contrast on white; gray 7 passes.
const variables: CSSVariablesResolver = () => ({ variables: {}, light: { '--mantine-color-dimmed': 'var(--mantine-color-gray-7)' }, dark: {} });

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <MantineProvider theme={theme} cssVariablesResolver={variables}>
      <App />
    </MantineProvider>
  </StrictMode>
);
