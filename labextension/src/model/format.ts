/** How numbers read in the panel: short, signed where a sign means something, "—" when unknown. */
export const DASH = '—';

export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) {
    return DASH;
  }
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) {
    return `${s}s`;
  }
  const m = Math.floor(s / 60);
  if (m < 60) {
    return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  }
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

export function formatScore(score: number | null | undefined): string {
  if (score === null || score === undefined || !Number.isFinite(score)) {
    return DASH;
  }
  return Number(score.toPrecision(6)).toString();
}

/** Δscore is signed so that > 0 is better; the sign is always shown. */
export function formatDelta(delta: number | null | undefined): string {
  if (delta === null || delta === undefined || !Number.isFinite(delta)) {
    return DASH;
  }
  const text = Number(Math.abs(delta).toPrecision(4)).toString();
  if (delta > 0) {
    return `+${text}`;
  }
  return delta < 0 ? `−${text}` : '±0';
}

export function formatCost(usd: number, tokens: number): string {
  if (usd === 0 && tokens === 0) {
    return '$0 (offline)';
  }
  return `$${usd.toFixed(usd < 1 ? 4 : 2)} · ${tokens.toLocaleString('en-US')} tokens`;
}

export function formatTime(epochSeconds: number | null | undefined): string {
  if (!epochSeconds) {
    return DASH;
  }
  return new Date(epochSeconds * 1000).toLocaleTimeString();
}
