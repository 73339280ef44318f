import '@mantine/core/styles.css';
import '@mantine/charts/styles.css';
import './console.css';
import { createTheme, MantineProvider } from '@mantine/core';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';

// Mantine's default shade 6 puts white text on blue below WCAG AA contrast; shade 8 passes.
const theme = createTheme({ primaryShade: 8 });

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <MantineProvider theme={theme}>
      <App />
    </MantineProvider>
  </StrictMode>
);
