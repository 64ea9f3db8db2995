import { mount } from 'svelte';
import App from './App.svelte';
import './style.css';

// Uncaught errors are kept in memory for the end-to-end tests to check
// (never logged or sent anywhere: they may quote what was typed).
const errors: string[] = [];
(window as unknown as { __sesameErrors: string[] }).__sesameErrors = errors;
window.addEventListener('error', (e) => errors.push(String(e.message)));
window.addEventListener('unhandledrejection', (e) => errors.push(String(e.reason)));

const target = document.getElementById('app');
if (target) mount(App, { target });
