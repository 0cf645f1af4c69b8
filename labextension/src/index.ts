/**
 * The mlestar-lab JupyterLab extension: a left-sidebar panel that follows and steers MLE-STAR runs
 * through the server extension's REST API (`<base_url>/mlestar/api/`).
 */
import { ILabShell, ILayoutRestorer, JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { Widget } from '@lumino/widgets';

const PLUGIN_ID = 'mlestar-lab:panel';

const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'Follow and steer MLE-STAR runs from a side panel.',
  autoStart: true,
  requires: [ILabShell],
  optional: [ILayoutRestorer],
  activate: (app: JupyterFrontEnd, shell: ILabShell, restorer: ILayoutRestorer | null) => {
    const panel = new Widget();
    panel.id = 'mlestar-panel';
    panel.title.caption = 'MLE-STAR runs';
    panel.title.label = 'MLE-STAR';
    panel.addClass('mlestar-panel');
    shell.add(panel, 'left', { rank: 600 });
    restorer?.add(panel, PLUGIN_ID);
    void app;
  }
};

export default plugin;
