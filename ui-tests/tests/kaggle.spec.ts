/**
 * Kaggle from the side panel, against the fake Kaggle API the test server starts
 * (ui-tests/fake_kaggle.py): an unknown competition shows the server's 404 message, then a
 * competition is downloaded, picked for a short offline run, and the finished run is submitted
 * and its submission's score read back with "Refresh Kaggle status", and still shown after a reload.
 */
import { expect, test } from '@jupyterlab/galata';
import { artifact, collectConsoleErrors, openMlestarPanel, stopAllRuns } from './helpers';

test.describe('Kaggle in the MLE-STAR panel', () => {
  test.setTimeout(8 * 60 * 1000);

  test.afterAll(async ({ playwright, baseURL }) => {
    const request = await playwright.request.newContext({ baseURL: `${baseURL}/` });
    await stopAllRuns(request);
    await request.dispose();
  });

  test('downloads a competition, runs it and submits the result', async ({ page }) => {
    const consoleErrors = collectConsoleErrors(page, [/Failed to load resource.*404/]);
    const panel = await openMlestarPanel(page);
    await expect(panel.getByTestId('mlestar-connection')).toHaveText('connected');

    await panel.getByText('Download from Kaggle', { exact: true }).first().click();
    const download = panel.getByTestId('mlestar-kaggle-download');
    const slug = download.locator('input[name=competition]');
    await slug.fill('nope-nope');
    await download.getByTestId('mlestar-kaggle-download-submit').click();
    await expect(download.getByRole('alert')).toContainText('HTTP 404');

    await slug.fill('tiny-titanic');
    await download.getByTestId('mlestar-kaggle-download-submit').click();
    await expect(download.getByTestId('mlestar-kaggle-downloaded')).toContainText('→ tiny-titanic');
    await expect(download.getByRole('alert')).toHaveCount(0);
    await download.getByTestId('mlestar-kaggle-use-task').click();

    const form = panel.getByTestId('mlestar-new-run');
    await expect(form.locator('input[name=task]')).toHaveValue('tiny-titanic');
    await form.locator('input[name=timeBudget]').fill('3m');
    await form.locator('input[name=workers]').fill('2');
    await form.locator('summary', { hasText: 'MLE-STAR steps' }).click();
    await form.locator('input[name=models]').fill('1');
    await form.locator('input[name=outerSteps]').fill('1');
    await form.locator('input[name=innerSteps]').fill('1');
    await form.locator('input[name=ensembleRounds]').fill('1');
    await form.getByTestId('mlestar-start-run').click();

    const runView = panel.getByTestId('mlestar-run-view');
    await expect(runView).toHaveAttribute('data-status', /finished|failed/, { timeout: 5 * 60 * 1000 });
    await expect(runView).toHaveAttribute('data-status', 'finished');

    const kaggle = panel.getByTestId('mlestar-kaggle');
    await kaggle.locator('input[name=message]').fill('from the browser test');
    // Keyboard: from the message field, Tab reaches the submit button and Enter presses it.
    await kaggle.locator('input[name=message]').focus();
    await page.keyboard.press('Tab');
    await expect(kaggle.getByTestId('mlestar-kaggle-submit')).toBeFocused();
    await page.keyboard.press('Enter');
    const submission = kaggle.getByTestId('mlestar-kaggle-submission');
    await expect(submission.getByTestId('mlestar-kaggle-submission-status')).toHaveText('submitted');
    await expect(submission).toContainText('from the browser test');

    await kaggle.getByTestId('mlestar-kaggle-refresh').click();
    await expect(submission.getByTestId('mlestar-kaggle-submission-status')).toHaveText('complete');
    await expect(submission.getByTestId('mlestar-kaggle-public-score')).toContainText('0.81');
    await expect(kaggle.getByRole('alert')).toHaveCount(0);
    await kaggle.screenshot({ path: artifact('kaggle-submitted.png') });
    await page.theme.setDarkTheme();
    await kaggle.screenshot({ path: artifact('kaggle-submitted-dark.png') });

    // After a reload the run shows what it recorded on Kaggle before anyone asks Kaggle again.
    await page.reload();
    const reloaded = await openMlestarPanel(page);
    await reloaded.getByTestId('mlestar-runs').locator('tr', { hasText: 'tiny-titanic' }).first().getByRole('button').first().click();
    const recorded = reloaded.getByTestId('mlestar-kaggle-submission');
    await expect(recorded.getByTestId('mlestar-kaggle-submission-status')).toHaveText('complete');
    await expect(recorded.getByTestId('mlestar-kaggle-public-score')).toContainText('0.81');
    expect(consoleErrors).toEqual([]);
  });
});
