import { initializeApp } from 'firebase/app';
import { getAuth, signInWithEmailAndPassword, onAuthStateChanged } from 'firebase/auth';
const auth = getAuth(initializeApp({ apiKey: 'x', authDomain: 'x.firebaseapp.com', projectId: 'x' }));
onAuthStateChanged(auth, (user) => globalThis.console.log(user));
globalThis.signIn = (email, password) => signInWithEmailAndPassword(auth, email, password);
