/**
 * The one request helper: JupyterLab's ServerConnection adds the token and the XSRF header and
 * prefixes the server's base URL, so no path is hard-coded.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';
import { ApiError, Method, Transport } from './model/client';

export class JupyterTransport implements Transport {
  constructor(private readonly settings: ServerConnection.ISettings = ServerConnection.makeSettings()) {}

  async request<T>(method: Method, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    const url = URLExt.join(this.settings.baseUrl, 'mlestar', 'api', path);
    const init: RequestInit = { method, signal };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers = { 'Content-Type': 'application/json' };
    }
    let response: Response;
    try {
      response = await ServerConnection.makeRequest(url, init, this.settings);
    } catch (error) {
      if (error instanceof Error && error.name === 'AbortError') {
        throw error;
      }
      if (signal?.aborted) {
        const abort = new Error('aborted');
        abort.name = 'AbortError';
        throw abort;
      }
      const reason = error instanceof Error ? error.message : String(error);
      throw new ApiError(`Cannot reach the Jupyter server: ${reason}`, 0);
    }
    const text = await response.text();
    if (!response.ok) {
      throw new ApiError(serverMessage(text, response), response.status);
    }
    return (text ? JSON.parse(text) : null) as T;
  }
}

function serverMessage(text: string, response: Response): string {
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed !== null && typeof parsed === 'object' && 'message' in parsed) {
      const message = (parsed as { message: unknown }).message;
      if (typeof message === 'string' && message) {
        return message;
      }
    }
  } catch {
    // Not JSON (e.g. an HTML error page of a proxy): fall through to the status line.
  }
  return `${response.status} ${response.statusText || 'error'} from ${new URL(response.url, 'http://x').pathname}`;
}
