# generated from spec/openapi.yaml by nox -s generate — do not edit

from typing import Annotated, Any, Literal, TypeAlias
from completionkit._generated._base import Model
from msgspec import Meta, UNSET, UnsetType, convert, field


class ChatCompletionAllowedTools(Model):
    """
    Constrains the tools available to the model to a pre-defined set.

    """

    mode: Literal["auto", "required"]
    tools: list[dict[str, Any]]


class ChatCompletionAllowedToolChoice(Model, tag_field="type", tag="allowed_tools"):
    """
    Constrains the tools available to the model to a pre-defined set.

    """

    allowed_tools: ChatCompletionAllowedTools


class ChatCompletionDeleted(Model):
    object: Literal["chat.completion.deleted"] | str = "chat.completion.deleted"
    id: str = ""
    deleted: bool = False


class ChatCompletionFunctionCallOption(Model):
    """
    Specifying a particular function via `{"name": "my_function"}` forces the model to call that function.

    """

    name: str


class ChatCompletionModerationError(Model, tag_field="type", tag="error"):
    """
    An error produced while attempting moderation.
    """

    code: str = ""
    message: str = ""


class ChatCompletionFunctionMessage(Model, tag_field="role", tag="function"):
    content: str | None
    name: str


class ChatCompletionContentPartRefusal(Model, tag_field="type", tag="refusal"):
    refusal: str


class ChatCompletionStreamOptions(Model):
    """
    Options for streaming response. Only set this when you set `stream: true`.

    """

    include_usage: bool | UnsetType = UNSET
    include_obfuscation: bool | UnsetType = UNSET


class Error(Model):
    code: str | int | None = None
    message: str = ""
    param: str | None = None
    type: str | None = None


class ErrorResponse(Model):
    error: Error


FunctionParameters: TypeAlias = dict[str, Any]


ModelIdsShared: TypeAlias = (
    str
    | Literal[
        "gpt-5.6-sol",
        "gpt-5.6-terra",
        "gpt-5.6-luna",
        "gpt-5.5",
        "gpt-5.5-2026-04-23",
        "gpt-5.4",
        "gpt-5.4-mini",
        "gpt-5.4-nano",
        "gpt-5.4-mini-2026-03-17",
        "gpt-5.4-nano-2026-03-17",
        "gpt-5.3-chat-latest",
        "gpt-5.2",
        "gpt-5.2-2025-12-11",
        "gpt-5.2-chat-latest",
        "gpt-5.2-pro",
        "gpt-5.2-pro-2025-12-11",
        "gpt-5.1",
        "gpt-5.1-2025-11-13",
        "gpt-5.1-codex",
        "gpt-5.1-mini",
        "gpt-5.1-chat-latest",
        "gpt-5",
        "gpt-5-mini",
        "gpt-5-nano",
        "gpt-5-2025-08-07",
        "gpt-5-mini-2025-08-07",
        "gpt-5-nano-2025-08-07",
        "gpt-5-chat-latest",
        "gpt-4.1",
        "gpt-4.1-mini",
        "gpt-4.1-nano",
        "gpt-4.1-2025-04-14",
        "gpt-4.1-mini-2025-04-14",
        "gpt-4.1-nano-2025-04-14",
        "o4-mini",
        "o4-mini-2025-04-16",
        "o3",
        "o3-2025-04-16",
        "o3-mini",
        "o3-mini-2025-01-31",
        "o1",
        "o1-2024-12-17",
        "o1-preview",
        "o1-preview-2024-09-12",
        "o1-mini",
        "o1-mini-2024-09-12",
        "gpt-4o",
        "gpt-4o-2024-11-20",
        "gpt-4o-2024-08-06",
        "gpt-4o-2024-05-13",
        "gpt-4o-audio-preview",
        "gpt-4o-audio-preview-2024-10-01",
        "gpt-4o-audio-preview-2024-12-17",
        "gpt-4o-audio-preview-2025-06-03",
        "gpt-4o-mini-audio-preview",
        "gpt-4o-mini-audio-preview-2024-12-17",
        "gpt-4o-search-preview",
        "gpt-4o-mini-search-preview",
        "gpt-4o-search-preview-2025-03-11",
        "gpt-4o-mini-search-preview-2025-03-11",
        "chatgpt-4o-latest",
        "codex-mini-latest",
        "gpt-4o-mini",
        "gpt-4o-mini-2024-07-18",
        "gpt-4-turbo",
        "gpt-4-turbo-2024-04-09",
        "gpt-4-0125-preview",
        "gpt-4-turbo-preview",
        "gpt-4-1106-preview",
        "gpt-4-vision-preview",
        "gpt-4",
        "gpt-4-0314",
        "gpt-4-0613",
        "gpt-4-32k",
        "gpt-4-32k-0314",
        "gpt-4-32k-0613",
        "gpt-3.5-turbo",
        "gpt-3.5-turbo-16k",
        "gpt-3.5-turbo-0301",
        "gpt-3.5-turbo-0613",
        "gpt-3.5-turbo-1106",
        "gpt-3.5-turbo-0125",
        "gpt-3.5-turbo-16k-0613",
    ]
)


ModerationInputType: TypeAlias = Literal["text", "image"] | str


ModerationMode: TypeAlias = Literal["score", "block"]


class ModerationResultBody(Model):
    """
    A moderation result produced for the response input or output.
    """

    categories: dict[str, bool]
    category_scores: dict[str, float]
    category_applied_input_types: dict[str, list[ModerationInputType]]
    type: Literal["moderation_result"] | str = "moderation_result"
    model: str = ""
    flagged: bool = False


ParallelToolCalls: TypeAlias = bool


class PromptCacheBreakpoint(Model):
    """
    Marks the exact end of a reusable prompt prefix. The breakpoint inherits its TTL from the request's `prompt_cache_options.ttl`; the boundary is not rounded to a token block.
    """

    mode: Literal["explicit"]


PromptCacheModeEnum: TypeAlias = Literal["implicit", "explicit"]


PromptCacheTTLEnum: TypeAlias = Literal["30m"]


ReasoningEffort: TypeAlias = Literal["none", "minimal", "low", "medium", "high", "xhigh", "max"] | None


class ResponseFormatJsonObject(Model, tag_field="type", tag="json_object"):
    """
    JSON object response format. An older method of generating JSON responses.
    Using `json_schema` is recommended for models that support it. Note that the
    model will not generate JSON without a system or user message instructing it
    to do so.

    """


ResponseFormatJsonSchemaSchema: TypeAlias = dict[str, Any]


class ResponseFormatText(Model, tag_field="type", tag="text"):
    """
    Default response format. Used to generate text responses.

    """


ResponseModalities: TypeAlias = list[Literal["text", "audio"]] | None


ServiceTier: TypeAlias = Literal["auto", "default", "flex", "scale", "priority", "fast"] | str | None


Verbosity: TypeAlias = Literal["low", "medium", "high"] | None


VoiceIdsShared: TypeAlias = (
    str
    | Literal[
        "alloy",
        "ash",
        "ballad",
        "coral",
        "echo",
        "sage",
        "shimmer",
        "verse",
        "marin",
        "cedar",
    ]
)


WebSearchContextSize: TypeAlias = Literal["low", "medium", "high"]


class WebSearchLocation(Model):
    """
    Approximate location parameters for the search.
    """

    country: str | UnsetType = UNSET
    region: str | UnsetType = UNSET
    city: str | UnsetType = UNSET
    timezone: str | UnsetType = UNSET


class ChatCompletionMessageCustomToolCallCustom(Model):
    name: str
    input: str


class ChatCompletionMessageToolCallFunction(Model):
    name: str
    arguments: str


class ChatCompletionMessageToolCallChunkFunction(Model):
    name: str | None = None
    arguments: str | None = None


class ChatCompletionNamedToolChoiceFunction(Model):
    name: str


class ChatCompletionNamedToolChoiceCustomCustom(Model):
    name: str


class ChatCompletionAssistantMessageAudio(Model):
    id: str


class ChatCompletionAssistantMessageFunctionCall(Model):
    arguments: str
    name: str


class ChatCompletionContentPartInputAudioInputAudio(Model):
    data: str
    format: Literal["wav", "mp3"]


class ChatCompletionContentPartFileFile(Model):
    filename: str | UnsetType = UNSET
    file_data: str | UnsetType = UNSET
    file_id: str | UnsetType = UNSET


class ChatCompletionContentPartImageImageUrl(Model):
    url: str
    detail: Literal["auto", "low", "high"] | str | UnsetType = UNSET


class ChatCompletionMessageAnnotationUrlCitation(Model):
    end_index: int = 0
    start_index: int = 0
    url: str = ""
    title: str = ""


class ChatCompletionMessageFunctionCall(Model):
    arguments: str = ""
    name: str = ""


class ChatCompletionAudio(Model):
    id: str = ""
    expires_at: int = 0
    data: str = ""
    transcript: str = ""


class ChatCompletionStreamResponseDeltaFunctionCall(Model):
    arguments: str | None = None
    name: str | None = None


class ChatCompletionTokenLogprobTopLogprob(Model):
    token: str = ""
    logprob: float = 0.0
    bytes: list[int] | None = None


class CompletionUsageCompletionTokensDetails(Model):
    accepted_prediction_tokens: int | None = None
    audio_tokens: int | None = None
    reasoning_tokens: int | None = None
    text_tokens: int | None = None
    rejected_prediction_tokens: int | None = None


class CompletionUsagePromptTokensDetails(Model):
    audio_tokens: int | None = None
    cached_tokens: int | None = None
    text_tokens: int | None = None
    image_tokens: int | None = None
    cache_write_tokens: int | None = None


CreateChatCompletionRequestFrequencyPenalty: TypeAlias = Annotated[float, Meta(ge=-2.0, le=2.0)]


CreateChatCompletionRequestPresencePenalty: TypeAlias = Annotated[float, Meta(ge=-2.0, le=2.0)]


class WebSearchOptionsUserLocation(Model):
    type: Literal["approximate"]
    approximate: WebSearchLocation


CreateChatCompletionRequestTopLogprobs: TypeAlias = Annotated[int, Meta(ge=0, le=20)]


CreateChatCompletionRequestN: TypeAlias = Annotated[int, Meta(ge=1, le=128)]


CreateChatCompletionRequestSeed: TypeAlias = int


CreateChatCompletionRequestFunctionCall: TypeAlias = (
    Literal["none", "auto"] | ChatCompletionFunctionCallOption
)


CreateModelResponsePropertiesTopLogprobs: TypeAlias = Annotated[int, Meta(ge=0, le=20)]


class ChatCompletionCustomToolCustomFormatTextFormat(Model, tag_field="type", tag="text"):
    pass


class ChatCompletionCustomToolCustomFormatGrammarFormatGrammar(Model):
    definition: str
    syntax: Literal["lark", "regex"]


MetadataKey: TypeAlias = Annotated[str, Meta(max_length=64)]


MetadataValue: TypeAlias = Annotated[str, Meta(max_length=512)]


ModelResponsePropertiesTopLogprobs: TypeAlias = Annotated[int, Meta(ge=0, le=20)]


ModelResponsePropertiesTemperature: TypeAlias = Annotated[float, Meta(ge=0.0, le=2.0)]


ModelResponsePropertiesTopP: TypeAlias = Annotated[float, Meta(ge=0.0, le=1.0)]


ModelResponsePropertiesSafetyIdentifier: TypeAlias = Annotated[str, Meta(max_length=64)]


class JsonSchema(Model):
    name: str
    description: str | UnsetType = UNSET
    schema: ResponseFormatJsonSchemaSchema | UnsetType = UNSET
    strict: bool | None | UnsetType = UNSET


StopConfigurationArray: TypeAlias = Annotated[list[str], Meta(max_length=4, min_length=1)]


class CustomVoice(Model):
    id: str


class ChatCompletionFunctions(Model):
    name: str
    description: str | UnsetType = UNSET
    parameters: FunctionParameters | UnsetType = UNSET


class ChatCompletionMessageCustomToolCall(Model, tag_field="type", tag="custom"):
    """
    A call to a custom tool created by the model.

    """

    id: str
    custom: ChatCompletionMessageCustomToolCallCustom


class ChatCompletionMessageToolCall(Model, tag_field="type", tag="function"):
    """
    A call to a function tool created by the model.

    """

    id: str
    function: ChatCompletionMessageToolCallFunction


class ChatCompletionMessageToolCallChunk(Model):
    index: int | None = None
    id: str | None = None
    type: Literal["function"] | str | None = None
    function: ChatCompletionMessageToolCallChunkFunction | None = None


class ChatCompletionModerationResults(Model, tag_field="type", tag="moderation_results"):
    """
    Successful moderation results for the request input or generated output.
    """

    model: str = ""
    results: list[ModerationResultBody] = field(default_factory=list)


class ChatCompletionNamedToolChoice(Model, tag_field="type", tag="function"):
    """
    Specifies a tool the model should use. Use to force the model to call a specific function.
    """

    function: ChatCompletionNamedToolChoiceFunction


class ChatCompletionNamedToolChoiceCustom(Model, tag_field="type", tag="custom"):
    """
    Specifies a tool the model should use. Use to force the model to call a specific custom tool.
    """

    custom: ChatCompletionNamedToolChoiceCustomCustom


class ChatCompletionContentPartInputAudio(Model, tag_field="type", tag="input_audio"):
    """
    Learn about [audio inputs](/docs/guides/audio).

    """

    input_audio: ChatCompletionContentPartInputAudioInputAudio
    prompt_cache_breakpoint: PromptCacheBreakpoint | UnsetType = UNSET


class ChatCompletionContentPartFile(Model, tag_field="type", tag="file"):
    """
    Learn about [file inputs](/docs/guides/text) for text generation.

    """

    file: ChatCompletionContentPartFileFile
    prompt_cache_breakpoint: PromptCacheBreakpoint | UnsetType = UNSET


class ChatCompletionContentPartImage(Model, tag_field="type", tag="image_url"):
    """
    Learn about [image inputs](/docs/guides/vision).

    """

    image_url: ChatCompletionContentPartImageImageUrl
    prompt_cache_breakpoint: PromptCacheBreakpoint | UnsetType = UNSET


class ChatCompletionContentPartText(Model, tag_field="type", tag="text"):
    """
    Learn about [text inputs](/docs/guides/text-generation).

    """

    text: str
    prompt_cache_breakpoint: PromptCacheBreakpoint | UnsetType = UNSET


ChatCompletionSystemMessageContentPart: TypeAlias = ChatCompletionContentPartText


ChatCompletionToolMessageContentPart: TypeAlias = ChatCompletionContentPartText


ChatCompletionContentPart: TypeAlias = (
    ChatCompletionContentPartText
    | ChatCompletionContentPartImage
    | ChatCompletionContentPartInputAudio
    | ChatCompletionContentPartFile
)


class ChatCompletionStreamResponseDelta(Model):
    """
    A chat completion delta generated by streamed model responses.
    """

    content: str | None = None
    function_call: ChatCompletionStreamResponseDeltaFunctionCall | None = None
    tool_calls: list[ChatCompletionMessageToolCallChunk] | None = None
    role: Literal["developer", "system", "user", "assistant", "tool"] | str | None = None
    refusal: str | None = None
    reasoning_content: str | None = None
    reasoning: str | None = None


class ChatCompletionTokenLogprob(Model):
    token: str = ""
    logprob: float = 0.0
    bytes: list[int] | None = None
    top_logprobs: list[ChatCompletionTokenLogprobTopLogprob] = field(default_factory=list)


ChatCompletionToolChoiceObject: TypeAlias = (
    ChatCompletionAllowedToolChoice | ChatCompletionNamedToolChoice | ChatCompletionNamedToolChoiceCustom
)


ChatCompletionToolChoiceOption: TypeAlias = (
    Literal["none", "auto", "required"] | ChatCompletionToolChoiceObject
)


class CompletionUsage(Model):
    """
    Usage statistics for the completion request.
    """

    completion_tokens: int = 0
    prompt_tokens: int = 0
    total_tokens: int = 0
    completion_tokens_details: CompletionUsageCompletionTokensDetails | None = None
    prompt_tokens_details: CompletionUsagePromptTokensDetails | None = None


class FunctionObject(Model):
    name: str
    description: str | UnsetType = UNSET
    parameters: FunctionParameters | UnsetType = UNSET
    strict: bool | None | UnsetType = UNSET


Metadata: TypeAlias = Annotated[dict[MetadataKey, MetadataValue], Meta(max_length=16)]


class ModelResponseProperties(Model):
    metadata: Metadata | None | UnsetType = UNSET
    top_logprobs: ModelResponsePropertiesTopLogprobs | None | UnsetType = UNSET
    temperature: ModelResponsePropertiesTemperature | None | UnsetType = UNSET
    top_p: ModelResponsePropertiesTopP | None | UnsetType = UNSET
    user: str | UnsetType = UNSET
    safety_identifier: ModelResponsePropertiesSafetyIdentifier | None | UnsetType = UNSET
    prompt_cache_key: str | None | UnsetType = UNSET
    prompt_cache_retention: Literal["in_memory", "24h"] | None | UnsetType = UNSET


class ModerationConfig(Model):
    """
    The moderation policy for the response input.
    """

    mode: ModerationMode


class ModerationPolicy(Model):
    """
    The policy to apply to moderated response input and output.
    """

    input: ModerationConfig | None | UnsetType = UNSET
    output: ModerationConfig | None | UnsetType = UNSET


class PromptCacheOptions(Model):
    """
    Options for prompt caching. Supported for `gpt-5.6` and later models. By default, OpenAI automatically chooses one implicit cache breakpoint. You can add explicit breakpoints to content blocks with `prompt_cache_breakpoint`. Each request can write up to four breakpoints. For cache matching, OpenAI considers up to the latest 80 breakpoints in the conversation, without a content-block lookback limit. Set `mode` to `explicit` to disable the implicit breakpoint. The `ttl` defaults to `30m`, which is currently the only supported value. See the [prompt caching guide](/docs/guides/prompt-caching) for current details.
    """

    ttl: PromptCacheTTLEnum | UnsetType = UNSET
    mode: PromptCacheModeEnum | UnsetType = UNSET


class ResponseFormatJsonSchema(Model, tag_field="type", tag="json_schema"):
    """
    JSON Schema response format. Used to generate structured JSON responses.
    Learn more about [Structured Outputs](/docs/guides/structured-outputs).

    """

    json_schema: JsonSchema


StopConfiguration: TypeAlias = str | StopConfigurationArray | None


class UpdateChatCompletionRequest(Model):
    metadata: Metadata | None


VoiceIdsOrCustomVoice: TypeAlias = Annotated[VoiceIdsShared | CustomVoice, Meta(title="Voice")]


ChatCompletionStoreMessageContentPart: TypeAlias = (
    ChatCompletionContentPartText | ChatCompletionContentPartImage
)


ChatCompletionMessageToolCallUnion: TypeAlias = (
    ChatCompletionMessageToolCall | ChatCompletionMessageCustomToolCall
)


ChatCompletionModerationInput: TypeAlias = ChatCompletionModerationResults | ChatCompletionModerationError


ChatCompletionModerationOutput: TypeAlias = ChatCompletionModerationResults | ChatCompletionModerationError


ChatCompletionDeveloperMessageContentArray: TypeAlias = Annotated[
    list[ChatCompletionContentPartText],
    Meta(min_length=1, title="Array of content parts"),
]


ChatCompletionSystemMessageContentArray: TypeAlias = Annotated[
    list[ChatCompletionSystemMessageContentPart],
    Meta(min_length=1, title="Array of content parts"),
]


ChatCompletionToolMessageContentArray: TypeAlias = Annotated[
    list[ChatCompletionToolMessageContentPart],
    Meta(min_length=1, title="Array of content parts"),
]


ChatCompletionUserMessageContentArray: TypeAlias = Annotated[
    list[ChatCompletionContentPart], Meta(min_length=1, title="Array of content parts")
]


class ChatCompletionMessageAnnotation(Model):
    url_citation: ChatCompletionMessageAnnotationUrlCitation
    type: Literal["url_citation"] | str = "url_citation"


class WebSearchOptions(Model):
    user_location: WebSearchOptionsUserLocation | None | UnsetType = UNSET
    search_context_size: WebSearchContextSize | UnsetType = UNSET


CreateChatCompletionRequestResponseFormat: TypeAlias = (
    ResponseFormatText | ResponseFormatJsonSchema | ResponseFormatJsonObject
)


class CreateChatCompletionRequestAudio(Model):
    voice: VoiceIdsOrCustomVoice
    format: Literal["wav", "aac", "mp3", "flac", "opus", "pcm16"]


CreateChatCompletionRequestFunctions: TypeAlias = Annotated[
    list[ChatCompletionFunctions], Meta(max_length=128, min_length=1)
]


class ChatCompletionChoiceLogprobs(Model):
    content: list[ChatCompletionTokenLogprob] | None = None
    refusal: list[ChatCompletionTokenLogprob] | None = None


class ChatCompletionChunkChoiceLogprobs(Model):
    content: list[ChatCompletionTokenLogprob] | None = None
    refusal: list[ChatCompletionTokenLogprob] | None = None


class ChatCompletionChunkXGroq(Model):
    id: str | None = None
    usage: CompletionUsage | None = None


class ChatCompletionCustomToolCustomFormatGrammarFormat(Model, tag_field="type", tag="grammar"):
    grammar: ChatCompletionCustomToolCustomFormatGrammarFormatGrammar


ChatCompletionPredictionContentContentArray: TypeAlias = Annotated[
    list[ChatCompletionContentPartText],
    Meta(min_length=1, title="Array of content parts"),
]


ChatCompletionMessageToolCalls: TypeAlias = list[ChatCompletionMessageToolCallUnion]


class ChatCompletionModeration(Model):
    """
    Moderation results or errors for the request input and generated output.
    """

    input: ChatCompletionModerationInput
    output: ChatCompletionModerationOutput


ChatCompletionAssistantMessageContentPart: TypeAlias = (
    ChatCompletionContentPartText | ChatCompletionContentPartRefusal
)


class ChatCompletionMessage(Model):
    """
    A chat completion message generated by the model.
    """

    content: str | None = None
    refusal: str | None = None
    tool_calls: ChatCompletionMessageToolCalls | None = None
    annotations: list[ChatCompletionMessageAnnotation] | None = None
    role: Literal["assistant"] | str = "assistant"
    function_call: ChatCompletionMessageFunctionCall | None = None
    audio: ChatCompletionAudio | None = None
    reasoning_content: str | None = None
    reasoning: str | None = None


class ChatCompletionTool(Model, tag_field="type", tag="function"):
    """
    A function tool that can be used to generate a response.

    """

    function: FunctionObject


class CreateModelResponseProperties(ModelResponseProperties):
    prompt_cache_options: PromptCacheOptions | UnsetType = UNSET
    top_logprobs: CreateModelResponsePropertiesTopLogprobs | None | UnsetType = UNSET


class Moderation(Model):
    """
    Configuration for running moderation on the input and output of this response.
    """

    model: str
    policy: ModerationPolicy | None | UnsetType = UNSET


class ChatCompletionStoreMessage(ChatCompletionMessage):
    id: str = ""
    content_parts: list[ChatCompletionStoreMessageContentPart] | None = None


ChatCompletionAssistantMessageContentArray: TypeAlias = Annotated[
    list[ChatCompletionAssistantMessageContentPart],
    Meta(min_length=1, title="Array of content parts"),
]


ChatCompletionDeveloperMessageContent: TypeAlias = str | ChatCompletionDeveloperMessageContentArray


ChatCompletionSystemMessageContent: TypeAlias = str | ChatCompletionSystemMessageContentArray


ChatCompletionToolMessageContent: TypeAlias = str | ChatCompletionToolMessageContentArray


ChatCompletionUserMessageContent: TypeAlias = str | ChatCompletionUserMessageContentArray


class ChatCompletionChoice(Model):
    message: ChatCompletionMessage
    finish_reason: Literal["stop", "length", "tool_calls", "content_filter", "function_call"] | str | None = (
        None
    )
    index: int = 0
    logprobs: ChatCompletionChoiceLogprobs | None = None


class ChatCompletionChunkChoice(Model):
    delta: ChatCompletionStreamResponseDelta = field(
        default_factory=lambda: convert({}, type=ChatCompletionStreamResponseDelta)
    )
    logprobs: ChatCompletionChunkChoiceLogprobs | None = None
    finish_reason: Literal["stop", "length", "tool_calls", "content_filter", "function_call"] | str | None = (
        None
    )
    index: int = 0


ChatCompletionCustomToolCustomFormat: TypeAlias = (
    ChatCompletionCustomToolCustomFormatTextFormat | ChatCompletionCustomToolCustomFormatGrammarFormat
)


ChatCompletionPredictionContentContent: TypeAlias = str | ChatCompletionPredictionContentContentArray


class ChatCompletionMessageList(Model):
    """
    An object representing a list of chat completion messages.

    """

    object: Literal["list"] | str = "list"
    data: list[ChatCompletionStoreMessage] = field(default_factory=list)
    first_id: str = ""
    last_id: str = ""
    has_more: bool = False


class ChatCompletionDeveloperMessage(Model, tag_field="role", tag="developer"):
    """
    Developer-provided instructions that the model should follow, regardless of
    messages sent by the user. With o1 models and newer, `developer` messages
    replace the previous `system` messages.

    """

    content: ChatCompletionDeveloperMessageContent
    name: str | UnsetType = UNSET


class ChatCompletionSystemMessage(Model, tag_field="role", tag="system"):
    """
    Developer-provided instructions that the model should follow, regardless of
    messages sent by the user. With o1 models and newer, use `developer` messages
    for this purpose instead.

    """

    content: ChatCompletionSystemMessageContent
    name: str | UnsetType = UNSET


class ChatCompletionToolMessage(Model, tag_field="role", tag="tool"):
    content: ChatCompletionToolMessageContent
    tool_call_id: str


class ChatCompletionUserMessage(Model, tag_field="role", tag="user"):
    """
    Messages sent by an end user, containing prompts or additional context
    information.

    """

    content: ChatCompletionUserMessageContent
    name: str | UnsetType = UNSET


class ChatCompletion(Model):
    """
    Represents a chat completion response returned by model, based on the provided input.
    """

    id: str = ""
    choices: list[ChatCompletionChoice] = field(default_factory=list)
    created: int = 0
    model: str = ""
    metadata: dict[str, str] | None = None
    service_tier: ServiceTier | None = None
    system_fingerprint: str | None = None
    object: Literal["chat.completion"] | str = "chat.completion"
    usage: CompletionUsage | None = None
    moderation: ChatCompletionModeration | None = None


class ChatCompletionChunk(Model):
    """
    Represents a streamed chunk of a chat completion response returned
    by the model, based on the provided input.
    [Learn more](/docs/guides/streaming-responses).

    """

    id: str = ""
    choices: list[ChatCompletionChunkChoice] = field(default_factory=list)
    created: int = 0
    model: str = ""
    obfuscation: str | None = None
    service_tier: ServiceTier | None = None
    system_fingerprint: str | None = None
    object: Literal["chat.completion.chunk"] | str = "chat.completion.chunk"
    usage: CompletionUsage | None = None
    moderation: ChatCompletionModeration | None = None
    x_groq: ChatCompletionChunkXGroq | None = None


class ChatCompletionPredictionContent(Model):
    """
    Static predicted output content, such as the content of a text file that is
    being regenerated.

    """

    type: Literal["content"]
    content: ChatCompletionPredictionContentContent


ChatCompletionAssistantMessageContent: TypeAlias = str | ChatCompletionAssistantMessageContentArray


class ChatCompletionCustomToolCustom(Model):
    name: str
    description: str | UnsetType = UNSET
    format: ChatCompletionCustomToolCustomFormat | UnsetType = UNSET


class ChatCompletionList(Model):
    """
    An object representing a list of Chat Completions.

    """

    object: Literal["list"] | str = "list"
    data: list[ChatCompletion] = field(default_factory=list)
    first_id: str = ""
    last_id: str = ""
    has_more: bool = False


class ChatCompletionAssistantMessage(Model, tag_field="role", tag="assistant"):
    """
    Messages sent by the model in response to user messages.

    """

    content: ChatCompletionAssistantMessageContent | None | UnsetType = UNSET
    refusal: str | None | UnsetType = UNSET
    name: str | UnsetType = UNSET
    audio: ChatCompletionAssistantMessageAudio | None | UnsetType = UNSET
    tool_calls: ChatCompletionMessageToolCalls | UnsetType = UNSET
    function_call: ChatCompletionAssistantMessageFunctionCall | None | UnsetType = UNSET


ChatCompletionRequestMessage: TypeAlias = (
    ChatCompletionDeveloperMessage
    | ChatCompletionSystemMessage
    | ChatCompletionUserMessage
    | ChatCompletionAssistantMessage
    | ChatCompletionToolMessage
    | ChatCompletionFunctionMessage
)


class ChatCompletionCustomTool(Model, tag_field="type", tag="custom"):
    """
    A custom tool that processes input using a specified format.

    """

    custom: ChatCompletionCustomToolCustom


CreateChatCompletionRequestMessages: TypeAlias = Annotated[
    list[ChatCompletionRequestMessage], Meta(min_length=1)
]


ChatCompletionToolUnion: TypeAlias = ChatCompletionTool | ChatCompletionCustomTool


class CreateChatCompletionRequest(CreateModelResponseProperties, kw_only=True):
    messages: CreateChatCompletionRequestMessages
    model: ModelIdsShared
    service_tier: ServiceTier | UnsetType = UNSET
    modalities: ResponseModalities | UnsetType = UNSET
    verbosity: Verbosity | UnsetType = UNSET
    reasoning_effort: ReasoningEffort | UnsetType = UNSET
    max_completion_tokens: int | None | UnsetType = UNSET
    frequency_penalty: CreateChatCompletionRequestFrequencyPenalty | None | UnsetType = UNSET
    presence_penalty: CreateChatCompletionRequestPresencePenalty | None | UnsetType = UNSET
    web_search_options: WebSearchOptions | UnsetType = UNSET
    top_logprobs: CreateChatCompletionRequestTopLogprobs | None | UnsetType = UNSET
    response_format: CreateChatCompletionRequestResponseFormat | UnsetType = UNSET
    audio: CreateChatCompletionRequestAudio | None | UnsetType = UNSET
    store: bool | None | UnsetType = UNSET
    moderation: Moderation | None | UnsetType = UNSET
    stream: bool | None | UnsetType = UNSET
    stop: StopConfiguration | None | UnsetType = UNSET
    logit_bias: dict[str, int] | None | UnsetType = UNSET
    logprobs: bool | None | UnsetType = UNSET
    max_tokens: int | None | UnsetType = UNSET
    n: CreateChatCompletionRequestN | None | UnsetType = UNSET
    prediction: ChatCompletionPredictionContent | None | UnsetType = UNSET
    seed: CreateChatCompletionRequestSeed | None | UnsetType = UNSET
    stream_options: ChatCompletionStreamOptions | None | UnsetType = UNSET
    tools: list[ChatCompletionToolUnion] | UnsetType = UNSET
    tool_choice: ChatCompletionToolChoiceOption | UnsetType = UNSET
    parallel_tool_calls: ParallelToolCalls | UnsetType = UNSET
    function_call: CreateChatCompletionRequestFunctionCall | UnsetType = UNSET
    functions: CreateChatCompletionRequestFunctions | UnsetType = UNSET
