/** Small shared pieces: the action button that knows it is busy, the error line, section frames. */
import { Button } from '@jupyterlab/ui-components';
import React, { useCallback, useEffect, useRef, useState } from 'react';
import { errorMessage } from '../model/client';

/**
 * Runs one async action at a time: `busy` while it is in flight (buttons disable themselves)
 * and `error` with the server's message when it failed, until the next attempt.
 */
export function useAction(): {
  busy: boolean;
  error: string | null;
  run: (action: () => Promise<unknown>) => Promise<boolean>;
  clear: () => void;
} {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const mounted = useRef(true);
  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);
  const run = useCallback(async (action: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await action();
      return true;
    } catch (err) {
      if (mounted.current) {
        setError(errorMessage(err));
      }
      return false;
    } finally {
      if (mounted.current) {
        setBusy(false);
      }
    }
  }, []);
  const clear = useCallback(() => setError(null), []);
  return { busy, error, run, clear };
}

export function ErrorLine({ error }: { error: string | null }): JSX.Element | null {
  if (!error) {
    return null;
  }
  return (
    <div className="mlestar-error" role="alert">
      {error}
    </div>
  );
}

export function ActionButton(props: {
  label: string;
  onClick: () => void;
  disabled?: boolean;
  minimal?: boolean;
  title?: string;
  className?: string;
  testId?: string;
}): JSX.Element {
  return (
    <Button
      type="button"
      className={`mlestar-button ${props.className ?? ''}`}
      disabled={props.disabled}
      minimal={props.minimal}
      title={props.title}
      data-testid={props.testId}
      onClick={props.onClick}
    >
      {props.label}
    </Button>
  );
}

export function Section(props: {
  title: string;
  children: React.ReactNode;
  className?: string;
  testId?: string;
}): JSX.Element {
  return (
    <section className={`mlestar-section ${props.className ?? ''}`} data-testid={props.testId}>
      <h3 className="mlestar-section-title">{props.title}</h3>
      {props.children}
    </section>
  );
}
