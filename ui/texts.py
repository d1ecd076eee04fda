"""Everything the end user reads in the chat, in pt-BR, in one place (no logic)."""

from __future__ import annotations

STARTER_QUESTIONS: tuple[str, ...] = (  # for the demo database (the scripted demo model answers them too)
    "Quantos clientes temos em São Paulo?",
    "Quais os 5 produtos mais vendidos?",
    "Qual o faturamento por mês em 2026?",
)
STARTER_QUESTIONS_OTHER_DB: tuple[str, ...] = ("Quais tabelas existem neste banco?",)

# Without a language model: runnable commands instead of questions (label → command).
STARTER_COMMANDS: dict[str, str] = {  # for the demo database
    "Clientes por estado (SQL)": (
        "/sql SELECT uf, COUNT(*) AS clientes FROM clientes GROUP BY uf ORDER BY clientes DESC"
    ),
    "Faturamento por mês (SQL)": (
        "/sql SELECT substr(data_pedido, 1, 7) AS mes, ROUND(SUM(valor_total), 2) AS faturamento FROM pedidos "
        "WHERE status NOT IN ('cancelado', 'devolvido') GROUP BY mes ORDER BY mes DESC LIMIT 12"
    ),
    "Ver as tabelas": "/esquema",
}
STARTER_COMMANDS_OTHER_DB: dict[str, str] = {"Ver as tabelas": "/esquema", "Comandos": "/ajuda"}

WELCOME = (
    "**Olá! Eu sou o vozbd.** Pergunte sobre seu banco de dados em português — digitando ou pelo "
    "microfone (tecla **P**).\n\n"
    "Banco ativo: **{connection}**"
)
WELCOME_TRY_QUESTIONS = "Experimente uma destas perguntas:"
WELCOME_TRY_COMMANDS = "Sem modelo, estes exemplos já funcionam (clique para rodar):"

WELCOME_NO_LLM = (
    "⚠️ **Nenhum modelo de linguagem configurado.** Sem ele eu não transformo perguntas em SQL, "
    "mas transcrevo sua voz, mostro o esquema (`/esquema`) e executo SQL digitado (`/sql SELECT ...`).\n\n"
    "{guidance}"
)

LLM_GUIDANCE = (
    "Para ativar as perguntas em linguagem natural, rode um modelo local — o Ollama em "
    "`http://127.0.0.1:11434` (`ollama pull qwen2.5:7b`) é usado automaticamente, e nada sai deste computador — "
    "ou nomeie um provedor hospedado antes de rodar `vozbd ui`:\n\n"
    "```bash\n"
    "export VOZBD_MODEL=openai/gpt-4.1-mini\n"
    "export VOZBD_OPENAI_API_KEY=sk-...\n"
    "```\n\n"
    "Um provedor hospedado (`openai/...`, `gemini/...`, `openrouter/...`) só é usado quando `VOZBD_MODEL` o nomeia "
    "ou quando você o escolhe nas configurações: uma chave no ambiente não basta. Ele recebe a pergunta, o "
    "esquema e linhas dos resultados (veja `/diagnostico`)."
)

NO_LLM_TRANSCRIPT = (
    "Entendi: “{text}”.\n\nMas nenhum modelo de linguagem está configurado para responder.\n\n{guidance}"
)

HELP = """**Comandos**

| Comando | O que faz |
|---|---|
| `/conexoes` | lista as conexões salvas e a ativa |
| `/conectar NOME URL` | salva e testa uma conexão (ex.: `/conectar vendas postgresql://usuario:senha@host/banco`) |
| `/usar NOME` | passa a usar a conexão NOME (`demo` = banco de demonstração) |
| `/testar NOME` | testa a conexão |
| `/remover NOME` | remove a conexão salva |
| `/esquema [tabela ...]` | mostra tabelas, colunas e chaves do banco ativo |
| `/sql SELECT ...` | executa SQL somente leitura direto, sem modelo de linguagem |
| `/diagnostico` | modelos carregados, provedores, banco e tempos da última resposta |
| `/ajuda` | esta ajuda |

**Voz:** clique no microfone (ou tecle **P**), fale e clique de novo para enviar. O navegador só libera o \
microfone em `localhost` ou HTTPS.
**PDF:** anexe um PDF no campo de mensagem e pergunte sobre ele.
**Configurações:** no ícone de engrenagem ao lado do campo de mensagem (banco, modelo, voz, velocidade, \
resposta falada)."""

COMMAND_DESCRIPTIONS: dict[str, str] = {
    "sql": "Executar SQL somente leitura direto",
    "esquema": "Ver tabelas, colunas e chaves",
    "conexoes": "Listar conexões",
    "conectar": "Salvar uma conexão: NOME URL",
    "usar": "Usar a conexão NOME",
    "testar": "Testar uma conexão",
    "remover": "Remover uma conexão",
    "diagnostico": "Diagnóstico e tempos",
    "ajuda": "Ajuda",
}

UNKNOWN_COMMAND = "Comando desconhecido: `/{name}`. Digite `/ajuda` para ver os comandos."
USAGE_SQL = "Uso: `/sql SELECT ...` (somente consultas de leitura)."
CONNECT_OPERATOR_ONLY = (
    "Nesta instalação, cada pessoa entra pelo login da empresa e só quem opera o vozbd cadastra conexões "
    "(no servidor: `vozbd db add NOME URL`). Use `/conexoes` para ver as disponíveis."
)
REMOVE_OPERATOR_ONLY = (
    "Nesta instalação, cada pessoa entra pelo login da empresa e só quem opera o vozbd remove conexões "
    "(no servidor: `vozbd db remove NOME`)."
)
USAGE_CONNECT = "Uso: `/conectar NOME URL`, por exemplo `/conectar vendas postgresql://usuario:senha@host:5432/banco`."
USAGE_NAME = "Uso: `/{name} NOME`."
CONNECTION_SAVED = "Conexão **{name}** salva: `{url}`."
CONNECTION_TEST_OK = "✅ **{name}** respondeu em {latency:.0f} ms ({version})."
CONNECTION_TEST_FAIL = "❌ **{name}** não respondeu: {reason}"
CONNECTION_REMOVED = "Conexão **{name}** removida."
CONNECTION_ACTIVE = "Agora usando **{name}**."
NO_CONNECTIONS = (
    "Nenhuma conexão salva. Use `/conectar NOME URL`. O banco de demonstração (`demo`) está sempre disponível."
)
CONNECTIONS_HEADER = "**Conexões** (ativa: **{active}**)"

ROWS_CAPTION = "{shown} de {total}"  # total: "5 linhas" / "1 linha"
ROWS_CAPTION_TRUNCATED = "{shown} de {total}+ linhas (resultado limitado)"
NO_ROWS = "_A consulta não retornou linhas._"
TABLE_SORT_HINT = "Clique para ordenar por esta coluna"
CSV_NAME = "resultado-{n}.csv"
SQL_STEP_NAME = "SQL"
SCHEMA_STEP_NAME = "Esquema"
PDF_STEP_NAME = "PDF"

LISTEN_LABEL = "🔊 Ouvir"
LISTEN_TOOLTIP = "Ouvir esta resposta"
VERIFY_LABEL = "👍"
VERIFY_TOOLTIP = "Resposta certa: lembrar esta consulta como exemplo para perguntas parecidas"
VERIFIED = "👍 Anotado: vou usar esta consulta como exemplo em perguntas parecidas sobre **{connection}**."
VERIFY_EXPIRED = "Não encontrei mais esta resposta para anotar (a conversa foi reiniciada). Pergunte de novo."
VERIFY_NO_MEMORY = "Não consegui anotar: o banco de dados do vozbd (memória) não está disponível. Veja `/diagnostico`."
SPEECH_UNAVAILABLE = "A voz não está disponível: {reason}"
SPEECH_MODELS_HINT = "Rode `vozbd models install` para instalar os modelos de voz (o texto continua funcionando)."
NO_SPEECH_HEARD = "Não ouvi nada. Tente falar mais perto do microfone."
AUDIO_TOO_SHORT = "A gravação ficou curta demais. Fale e depois clique de novo no microfone."

PDF_SAVED = "📄 PDF recebido: **{name}**."
PDF_ONLY_QUESTION = "Resuma o PDF anexado."
PDF_CONTEXT = "\n\n(PDF anexado pelo usuário; id para read_pdf: {file_id})"
NOT_A_PDF = "Só aceito arquivos PDF (recebi {name})."

UNEXPECTED_ERROR = "Algo deu errado ao responder. Tente de novo; se persistir, veja `/diagnostico`."
EMPTY_QUESTION = "Digite ou fale uma pergunta."
SETTINGS_SAVED = "Configurações salvas — {summary}."
SETTINGS_UNCHANGED = "Nenhuma configuração mudou."
SETTINGS_SHORT_LABELS: dict[str, str] = {
    "connection": "banco",
    "model": "modelo",
    "tts_engine": "motor de voz",
    "voice": "voz",
    "speed": "velocidade",
    "auto_speak": "fala automática",
    "hands_free": "mãos livres",
}

SETTINGS_LABELS: dict[str, str] = {
    "connection": "Banco de dados",
    "model": "Modelo de linguagem",
    "tts_engine": "Motor de voz",
    "voice": "Voz",
    "speed": "Velocidade da fala",
    "auto_speak": "Falar as respostas automaticamente",
    "hands_free": "Conversa mãos livres (o microfone fica aberto; respondo quando você para de falar)",
}
DEMO_LABEL = "demo (banco de demonstração)"
NO_MODEL_LABEL = "nenhum (configure VOZBD_MODEL)"
