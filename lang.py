from insta_kedro.text.captions import detect_languages, plain_text
tests = ["맛있다","오늘 날씨 좋다","떡볶이 최고","주말 브런치","주말에 친구와 떡볶이","카페에서 친구들과 수다",
 "סופ\"ש בים","תודה לכולם","שבת שלום","Καλημέρα","ευχαριστώ πολύ","สวัสดีครับ","อร่อยมาก","ありがとう","美味しい","好吃","வணக்கம்","ధన్యవాదాలు","ਸਤ ਸ੍ਰੀ ਅਕਾਲ",
 "me again","love this","so good","good vibes only","привет всем","спасибо", "شكرا لكم","صباح الخير", "नमस्ते दोस्तों",
 "aaj ka khana bahut tasty tha yaar","mummy ke haath ka khana best hai","kal raat dosto ke saath party ki","bhai kya mast din tha aaj","chai aur samosa, perfect combo","ghar ka khana sabse accha"]
from insta_kedro.text.captions import _batch_identifier
langs, probs = _batch_identifier().classify(tests)
d = detect_languages(tests)
for t,l,p,x in zip(tests,langs,probs,d): print(f"{t!r:45} py3langid={l} p={p:.3f} detected={x}")
