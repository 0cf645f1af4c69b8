/**
 * Galata/Playwright on Debian's Chromium (/usr/bin/chromium, or $CHROMIUM): Playwright never
 * downloads a browser here. Video and trace are off (they need Playwright's own ffmpeg).
 * Screenshots and failure artifacts go to <repo>/test-artifacts/.
 */
const path = require('path');
const baseConfig = require('@jupyterlab/galata/lib/playwright-config');

const port = process.env.MLESTAR_UI_PORT || '8893';
const baseURL = `http://127.0.0.1:${port}`;

module.exports = {
  ...baseConfig,
  testDir: './tests',
  outputDir: path.join(__dirname, '..', 'test-artifacts', 'playwright'),
  reporter: [['list']],
  retries: 0,
  workers: 1,
  timeout: 60000,
  // Upper bounds for conditions that depend on agent processes on a busy 2-core machine.
  expect: { timeout: 30000 },
  use: {
    ...baseConfig.use,
    baseURL,
    headless: true,
    trace: 'off',
    video: 'off',
    screenshot: 'only-on-failure',
    viewport: { width: 1400, height: 900 },
    acceptDownloads: true,
    launchOptions: {
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run'
      ]
    }
  },
  webServer: {
    command: 'jlpm start',
    url: `${baseURL}/lab`,
    timeout: 120000,
    reuseExistingServer: false,
    stdout: 'pipe',
    stderr: 'pipe'
  }
};
