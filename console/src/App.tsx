/** The console's frame: sign-in, language switch, and the screens of the signed-in person's role. */
import { Alert, AppShell, Button, Group, PasswordInput, Stack, Text, Title } from '@mantine/core';
import { FormEvent, useEffect, useState } from 'react';
import { completeLogin, currentToken, signedInPerson, SignedInPerson, signIn, signOut, startLogin } from './auth/session';
import { ClinicianDesk } from './clinician/ClinicianDesk';
import { FrontDesk } from './clinician/FrontDesk';
import { EmergencyView } from './emergency/EmergencyView';
import { Language, LanguageContext, translator, useT } from './i18n';
import { OfficeHome } from './office/OfficeHome';
import { ResidentHome } from './resident/ResidentHome';

export function App() {
  const [language, setLanguage] = useState<Language>(() => (localStorage.getItem('tonet.console.language') as Language | null) ?? 'ja');
  const [token, setToken] = useState(currentToken);
  const t = translator(language);
  useEffect(() => {
    document.documentElement.lang = language;
    document.title = t('appTitle');
    localStorage.setItem('tonet.console.language', language);
  }, [language]);
  const [loginError, setLoginError] = useState<string | undefined>();
  // Back from the OpenID Connect login: the code in the URL becomes the person's token.
  useEffect(() => {
    completeLogin().then((done) => done && setToken(currentToken()), (err: Error) => setLoginError(err.message));
  }, []);
  const person = token ? signedInPerson(token) : undefined;

  return (
    <LanguageContext.Provider value={language}>
      <AppShell header={{ height: 56 }} padding="md">
        <AppShell.Header>
          <Group h="100%" px="md" justify="space-between">
            <Title order={1} size="h3">{t('appTitle')}</Title>
            <Group>
              {person && <Text size="sm">{t('signedInAs')}: {person.name} ({person.role})</Text>}
              <Button variant="default" size="xs" lang={language === 'ja' ? 'en' : 'ja'} onClick={() => setLanguage(language === 'ja' ? 'en' : 'ja')}>{t('language')}</Button>
              {person && <Button variant="default" size="xs" onClick={() => { signOut(); setToken(undefined); }}>{t('signOut')}</Button>}
            </Group>
          </Group>
        </AppShell.Header>
        <AppShell.Main>
          {token ? <Screens person={person} /> : <SignIn error={loginError} onSignedIn={(value) => { signIn(value); setToken(currentToken()); }} />}
        </AppShell.Main>
      </AppShell>
    </LanguageContext.Provider>
  );
}

/** The screens of the signed-in person's role (the server still decides what each call may see). */
function Screens({ person }: { person?: SignedInPerson }) {
  switch (person?.role) {
    case 'emergency':
      return <EmergencyView />;
    case 'resident':
      return <ResidentHome />;
    case 'admin':
      return <OfficeHome />;
    case 'clerk':
      return <FrontDesk />;
    default:
      return <ClinicianDesk facility={person?.organization} />;
  }
}

function SignIn({ onSignedIn, error }: { onSignedIn: (token: string) => void; error?: string }) {
  const t = useT();
  const [value, setValue] = useState('');
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (value.trim()) onSignedIn(value);
  };
  return (
    <Stack component="section" maw={480} aria-labelledby="sign-in-title">
      <Title order={2} id="sign-in-title">{t('signIn')}</Title>
      {error && <Alert color="red" title={t('error')} role="alert">{error}</Alert>}
      <Button size="md" onClick={() => void startLogin()}>{t('logInWithAccount')}</Button>
      <Text size="sm">{t('orPasteToken')}</Text>
      <form onSubmit={submit}>
        <Stack>
          <PasswordInput label={t('accessToken')} description={t('accessTokenHelp')} required value={value} onChange={(e) => setValue(e.currentTarget.value)} />
          <Button type="submit">{t('signIn')}</Button>
        </Stack>
      </form>
    </Stack>
  );
}
